"""Testing tools: pytest, Jest and Playwright."""

from __future__ import annotations

from rekall.testdata.vocabulary import Tech

TECHS = (
    Tech(
        name="pytest",
        domain="testing",
        tags=("pytest", "python", "testing"),
        lang="python",
        config_lang="toml",
        nouns=(
            "fixture scope",
            "parametrize",
            "monkeypatch",
            "conftest plugin",
            "tmp_path",
            "flaky test",
        ),
        errors=(
            "fixture 'db' not found",
            "ScopeMismatch: You tried to access the function scoped fixture tmp_path with a "
            "session scoped request object",
            "PytestUnraisableExceptionWarning: Exception ignored in: <socket.socket fd=12>",
            "ImportError while loading conftest '/app/tests/conftest.py'.",
        ),
        howtos=(
            ("rerun only the failures", "pytest --lf -x"),
            ("show the slowest tests", "pytest --durations=10"),
            ("stop at the first failure and debug", "pytest -x --pdb"),
            ("run tests matching a name", "pytest -k 'refund and not slow'"),
            ("run in parallel", "pytest -n auto"),
        ),
        settings=(
            ("addopts", '"-ra --strict-markers"', "typos in markers fail"),
            ("filterwarnings", '["error"]', "new deprecations fail the build"),
            ("testpaths", '["tests"]', "collection stays fast"),
        ),
        gotchas=(
            "a session-scoped fixture that mutates state leaks it into later tests",
            "monkeypatching a name where it is defined misses modules that imported it already",
            "tests that pass alone but fail together usually share global state",
        ),
        code=(
            "@pytest.fixture\n"
            "def client(tmp_path, monkeypatch):\n"
            "    monkeypatch.setenv('APP_DATA_DIR', str(tmp_path))\n"
            "    app = create_app()\n"
            "    with app.test_client() as c:\n"
            "        yield c",
            "@pytest.mark.parametrize(\n"
            "    ('raw', 'expected'),\n"
            "    [('1.5', 1.5), ('1,5', 1.5), (' 2 ', 2.0)],\n"
            ")\n"
            "def test_parse_amount(raw: str, expected: float) -> None:\n"
            "    assert parse_amount(raw) == expected",
        ),
        alts=("unittest", "hypothesis-only suites"),
    ),
    Tech(
        name="Jest",
        domain="testing",
        tags=("jest", "javascript", "testing"),
        lang="js",
        config_lang="json",
        nouns=(
            "module mock",
            "fake timers",
            "snapshot",
            "test environment",
            "coverage threshold",
            "async test",
        ),
        errors=(
            "Jest did not exit one second after the test run has completed.",
            "SyntaxError: Cannot use import statement outside a module",
            'thrown: "Exceeded timeout of 5000 ms for a test."',
            "ReferenceError: document is not defined",
        ),
        howtos=(
            ("find open handles", "npx jest --detectOpenHandles"),
            ("run one file in watch mode", "npx jest src/cart.test.ts --watch"),
            ("update snapshots", "npx jest -u"),
            ("mock a module", "jest.mock('../api', () => ({ fetchUser: jest.fn() }));"),
            ("advance fake timers", "jest.advanceTimersByTime(1000);"),
        ),
        settings=(
            ('"testEnvironment"', '"jsdom"', "component tests need a DOM"),
            ('"coverageThreshold"', '{ "global": { "lines": 80 } }', "keeps coverage honest"),
            ('"transformIgnorePatterns"', '["node_modules/(?!lodash-es)"]', "ESM dependency"),
        ),
        gotchas=(
            "jest.mock calls are hoisted above the imports",
            "a forgotten await makes a failing assertion pass",
            "snapshots of whole components get approved without reading them",
        ),
        code=(
            "jest.useFakeTimers();\n\n"
            "test('retries after a delay', async () => {\n"
            "  const p = retry(fn, { delayMs: 1000 });\n"
            "  await jest.advanceTimersByTimeAsync(1000);\n"
            "  await expect(p).resolves.toBe('ok');\n"
            "});",
            "module.exports = {\n"
            "  testEnvironment: 'jsdom',\n"
            "  setupFilesAfterEnv: ['<rootDir>/test/setup.ts'],\n"
            "  moduleNameMapper: { '^@/(.*)$': '<rootDir>/src/$1' },\n"
            "};",
        ),
        alts=("Vitest", "Mocha"),
    ),
    Tech(
        name="Playwright",
        domain="testing",
        tags=("playwright", "e2e", "testing"),
        lang="ts",
        config_lang="ts",
        nouns=(
            "locator",
            "auto-waiting",
            "trace viewer",
            "storage state",
            "test fixture",
            "browser context",
        ),
        errors=(
            "locator.click: Timeout 30000ms exceeded.",
            "strict mode violation: getByRole('button', { name: 'Save' }) resolved to 2 elements",
            "browserType.launch: Executable doesn't exist at /ms-playwright/chromium-1105",
            "Error: expect(received).toHaveText(expected) // deep equality",
        ),
        howtos=(
            ("open the trace of a failed run", "npx playwright show-trace trace.zip"),
            ("record a test by clicking", "npx playwright codegen localhost:3000"),
            ("install the browsers in CI", "npx playwright install --with-deps chromium"),
            ("run headed and slowly", "npx playwright test --headed --slow-mo=250"),
            (
                "run one file in one browser",
                "npx playwright test checkout.spec.ts --project=chromium",
            ),
        ),
        settings=(
            ("retries", "2", "only in CI"),
            ("trace", "'on-first-retry'", "a trace for every flaky failure"),
            ("fullyParallel", "true", "tests do not share state"),
        ),
        gotchas=(
            "waitForTimeout hides a race instead of waiting for the right state",
            "CSS selectors tied to class names break on every restyle",
            "tests that share one account interfere when run in parallel",
        ),
        code=(
            "test('checkout', async ({ page }) => {\n"
            "  await page.goto('/cart');\n"
            "  await page.getByRole('button', { name: 'Checkout' }).click();\n"
            "  await expect(page.getByText('Order confirmed')).toBeVisible();\n"
            "});",
            "export default defineConfig({\n"
            "  retries: process.env.CI ? 2 : 0,\n"
            "  use: { baseURL: 'http://localhost:3000', trace: 'on-first-retry' },\n"
            "});",
        ),
        alts=("Cypress", "Selenium"),
    ),
)

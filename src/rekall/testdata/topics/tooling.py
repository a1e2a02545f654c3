"""Developer tooling: git, npm, pip and VS Code."""

from __future__ import annotations

from rekall.testdata.vocabulary import Tech

TECHS = (
    Tech(
        name="git",
        domain="tooling",
        tags=("git", "vcs"),
        lang="bash",
        config_lang="ini",
        nouns=(
            "interactive rebase",
            "merge conflict",
            "reflog",
            "submodule",
            "LFS pointer",
            "detached HEAD",
        ),
        errors=(
            "error: failed to push some refs to 'origin' (non-fast-forward)",
            "fatal: refusing to merge unrelated histories",
            "error: Your local changes to the following files would be overwritten by checkout",
            "fatal: unable to access: SSL certificate problem: unable to get local issuer "
            "certificate",
        ),
        howtos=(
            ("undo the last commit but keep the changes", "git reset --soft HEAD~1"),
            ("find the commit that broke a test", "git bisect start HEAD v1.2.0"),
            ("recover a deleted branch", "git reflog | grep checkout"),
            ("squash the last three commits", "git rebase -i HEAD~3"),
            ("push without clobbering others", "git push --force-with-lease"),
        ),
        settings=(
            ("pull.rebase", "true", "no merge commits from git pull"),
            ("rerere.enabled", "true", "replays conflict resolutions"),
            ("core.autocrlf", "input", "no CRLF in the repository"),
        ),
        gotchas=(
            "git push --force overwrites commits a colleague pushed meanwhile",
            "a file added to .gitignore after it was committed is still tracked",
            "rebasing a shared branch rewrites the history others have pulled",
        ),
        code=(
            "git fetch origin\ngit rebase -i --autosquash origin/main\ngit push --force-with-lease",
            "git bisect start\n"
            "git bisect bad HEAD\n"
            "git bisect good v1.4.0\n"
            "git bisect run pytest tests/test_orders.py -x -q",
        ),
        alts=("Mercurial", "trunk-based merges"),
    ),
    Tech(
        name="npm",
        domain="tooling",
        tags=("npm", "nodejs", "javascript"),
        lang="bash",
        config_lang="json",
        nouns=(
            "lockfile",
            "peer dependency",
            "postinstall script",
            "workspace",
            "package cache",
            "semver range",
        ),
        errors=(
            "npm ERR! code ERESOLVE unable to resolve dependency tree",
            "npm ERR! code EACCES permission denied, mkdir '/usr/local/lib/node_modules'",
            'npm ERR! code E401 Unable to authenticate, need: Basic realm="Artifactory"',
            "npm ERR! gyp ERR! find Python",
        ),
        howtos=(
            ("install exactly the lockfile", "npm ci"),
            ("see why a package is installed", "npm explain lodash"),
            ("find outdated packages", "npm outdated --long"),
            ("run a script in one workspace", "npm run build -w packages/api"),
            ("audit only production deps", "npm audit --omit=dev"),
        ),
        settings=(
            ('"overrides"', '{ "semver": "7.5.4" }', "pins a transitive dependency"),
            ('"engines"', '{ "npm": ">=10" }', "same lockfile format for everyone"),
            ('"packageManager"', '"npm@10.8.1"', "corepack picks the right version"),
        ),
        gotchas=(
            "npm install rewrites the lockfile while npm ci never does",
            "a caret range on a 0.x version allows only patch updates",
            "postinstall scripts of every dependency run with your permissions",
        ),
        code=(
            "rm -rf node_modules package-lock.json\n"
            "npm cache verify\n"
            "npm install\n"
            "npm ls --all | grep -i deduped | wc -l",
            "npm pkg set scripts.lint='eslint . --max-warnings=0'\nnpm run lint",
        ),
        alts=("pnpm", "Yarn"),
    ),
    Tech(
        name="pip",
        domain="tooling",
        tags=("pip", "python", "packaging"),
        lang="bash",
        config_lang="toml",
        nouns=(
            "dependency resolver",
            "wheel cache",
            "editable install",
            "constraints file",
            "index URL",
            "build backend",
        ),
        errors=(
            "error: externally-managed-environment",
            "ERROR: Could not build wheels for psycopg2, which is required to install "
            "pyproject.toml-based projects",
            "ERROR: ResolutionImpossible: for help visit "
            "https://pip.pypa.io/en/latest/topics/dependency-resolution/",
            "WARNING: Retrying (Retry(total=4)) after connection broken by "
            "'SSLError(SSLCertVerificationError)'",
        ),
        howtos=(
            ("see why a package is installed", "pip show -f requests | grep Required-by"),
            ("install with pinned constraints", "pip install -c constraints.txt -e ."),
            ("download wheels for offline install", "pip download -d wheels -r requirements.txt"),
            ("list outdated packages", "pip list --outdated"),
            ("check installed packages are compatible", "pip check"),
        ),
        settings=(
            ("global.index-url", "https://pypi.internal/simple", "the company mirror"),
            ("global.require-virtualenv", "true", "no accidental system installs"),
            ("install.no-cache-dir", "true", "smaller Docker layers"),
        ),
        gotchas=(
            "pip install without a virtualenv can break system tools",
            "--extra-index-url lets a public package shadow a private one",
            "pip freeze lists editable installs as local paths",
        ),
        code=(
            "python -m venv .venv\n"
            ". .venv/bin/activate\n"
            "python -m pip install --upgrade pip\n"
            "pip install -e '.[dev]'",
            "pip-compile --generate-hashes -o requirements.txt pyproject.toml\n"
            "pip install --require-hashes -r requirements.txt",
        ),
        alts=("Poetry", "uv"),
    ),
    Tech(
        name="VS Code",
        domain="tooling",
        tags=("vscode", "editor"),
        lang="json",
        config_lang="json",
        nouns=(
            "launch configuration",
            "workspace settings",
            "Remote SSH",
            "dev container",
            "Python interpreter",
            "file watcher",
        ),
        errors=(
            "Visual Studio Code is unable to watch for file changes in this large workspace "
            "(ENOSPC)",
            'Could not establish connection to "devbox": The VS Code Server failed to start.',
            'Import "requests" could not be resolved (Pylance)',
            "The terminal process failed to launch: Path to shell executable does not exist.",
        ),
        howtos=(
            (
                "exclude folders from the watcher",
                '"files.watcherExclude": { "**/node_modules": true }',
            ),
            ("open a folder from the terminal", "code -r ."),
            ("install an extension from the CLI", "code --install-extension charliermarsh.ruff"),
            ("format on save", '"editor.formatOnSave": true'),
            ("list installed extensions", "code --list-extensions > extensions.txt"),
        ),
        settings=(
            (
                '"python.defaultInterpreterPath"',
                '"${workspaceFolder}/.venv/bin/python"',
                "everyone uses the project venv",
            ),
            ('"files.eol"', '"\\n"', "no CRLF commits from Windows"),
            ('"search.exclude"', '{ "**/dist": true }', "build output stays out of results"),
        ),
        gotchas=(
            "workspace settings override user settings, even for formatters",
            "the integrated terminal keeps the environment VS Code started with",
            "a dev container rebuild discards anything installed by hand",
        ),
        code=(
            "{\n"
            '  "version": "0.2.0",\n'
            '  "configurations": [\n'
            "    {\n"
            '      "name": "API",\n'
            '      "type": "debugpy",\n'
            '      "request": "launch",\n'
            '      "module": "uvicorn",\n'
            '      "args": ["app.main:app", "--reload"]\n'
            "    }\n"
            "  ]\n"
            "}",
            "{\n"
            '  "editor.formatOnSave": true,\n'
            '  "[python]": { "editor.defaultFormatter": "charliermarsh.ruff" }\n'
            "}",
        ),
        alts=("JetBrains IDEs", "Neovim"),
    ),
)

"""Front-end topics: React, TypeScript, CSS and GraphQL."""

from __future__ import annotations

from rekall.testdata.vocabulary import Tech

TECHS = (
    Tech(
        name="React",
        domain="web",
        tags=("react", "frontend", "javascript"),
        lang="tsx",
        config_lang="json",
        nouns=(
            "useEffect hook",
            "context provider",
            "controlled input",
            "list rendering",
            "Suspense boundary",
            "state update",
        ),
        errors=(
            'Warning: Each child in a list should have a unique "key" prop.',
            "Error: Too many re-renders. React limits the number of renders to prevent an "
            "infinite loop.",
            "Warning: Can't perform a React state update on an unmounted component.",
            "Error: Hydration failed because the initial UI does not match what was rendered "
            "on the server.",
        ),
        howtos=(
            ("debounce a search input", "const q = useDebounced(query, 300);"),
            ("memoise an expensive child", "export default React.memo(ResultList);"),
            ("keep the previous value of a prop", "const prev = useRef(value);"),
            ("find why a component re-renders", "npx react-scan@latest localhost:3000"),
            ("lazy-load a heavy route", 'const Chart = lazy(() => import("./Chart"));'),
        ),
        settings=(
            ('"jsx"', '"react-jsx"', "the automatic runtime, no React import in every file"),
            ('"react-hooks/exhaustive-deps"', '"error"', "catches missing effect dependencies"),
            ('"strict"', "true", "null checks catch most undefined-prop bugs"),
        ),
        gotchas=(
            "an object literal in a dependency array re-runs the effect on every render",
            "calling setState during render loops forever",
            "state updates are batched, so state read right after setState is still the old value",
        ),
        code=(
            "function useDebounced<T>(value: T, delay = 300): T {\n"
            "  const [debounced, setDebounced] = useState(value);\n"
            "  useEffect(() => {\n"
            "    const id = setTimeout(() => setDebounced(value), delay);\n"
            "    return () => clearTimeout(id);\n"
            "  }, [value, delay]);\n"
            "  return debounced;\n"
            "}",
            "useEffect(() => {\n"
            "  const controller = new AbortController();\n"
            "  fetch(`/api/items?q=${query}`, { signal: controller.signal })\n"
            "    .then((r) => r.json())\n"
            "    .then(setItems)\n"
            '    .catch((e) => { if (e.name !== "AbortError") throw e; });\n'
            "  return () => controller.abort();\n"
            "}, [query]);",
        ),
        alts=("Vue", "Svelte"),
    ),
    Tech(
        name="TypeScript",
        domain="web",
        tags=("typescript", "javascript", "types"),
        lang="ts",
        config_lang="json",
        nouns=(
            "tsconfig paths",
            "type narrowing",
            "declaration file",
            "generic constraint",
            "enum",
            "module resolution",
        ),
        errors=(
            "TS2307: Cannot find module './utils' or its corresponding type declarations.",
            "TS2322: Type 'string | undefined' is not assignable to type 'string'.",
            "TS7016: Could not find a declaration file for module 'left-pad'.",
            "TS2339: Property 'id' does not exist on type 'never'.",
        ),
        howtos=(
            ("check types without emitting", "npx tsc --noEmit"),
            ("see why a file is in the program", "npx tsc --explainFiles | less"),
            ("narrow an unknown error", "if (err instanceof Error) console.error(err.message);"),
            ("make every property optional", "type Patch = Partial<User>;"),
            ("trace slow type checking", "npx tsc --generateTrace trace"),
        ),
        settings=(
            ('"moduleResolution"', '"bundler"', "matches how Vite and esbuild resolve imports"),
            ('"noUncheckedIndexedAccess"', "true", "array and map reads may be undefined"),
            ('"skipLibCheck"', "true", "halves check time; our own code is still checked"),
        ),
        gotchas=(
            "paths in tsconfig are not rewritten in the emitted JavaScript",
            "a type assertion silences the checker without checking anything at run time",
            "numeric enums accept any number",
        ),
        code=(
            "type Result<T> =\n"
            "  | { ok: true; value: T }\n"
            "  | { ok: false; error: string };\n\n"
            "function unwrap<T>(r: Result<T>): T {\n"
            "  if (!r.ok) throw new Error(r.error);\n"
            "  return r.value;\n"
            "}",
            "function assertNever(x: never): never {\n"
            "  throw new Error(`unexpected variant: ${JSON.stringify(x)}`);\n"
            "}",
        ),
        alts=("plain JavaScript with JSDoc", "Flow"),
    ),
    Tech(
        name="CSS",
        domain="web",
        tags=("css", "frontend", "layout"),
        lang="css",
        config_lang="json",
        nouns=(
            "flexbox layout",
            "grid template",
            "stacking context",
            "media query",
            "custom property",
            "sticky header",
        ),
        errors=(
            "position: sticky has no effect inside an overflow: hidden parent",
            "z-index: 9999 still renders below the modal backdrop",
            "100vh is taller than the visible area on mobile Safari",
            "the text overflows its flex item instead of wrapping",
        ),
        howtos=(
            (
                "truncate text with an ellipsis",
                "overflow: hidden; text-overflow: ellipsis; white-space: nowrap;",
            ),
            ("center a div", "display: grid; place-items: center;"),
            ("let a flex child shrink below its content", "min-width: 0;"),
            ("respect reduced motion", "@media (prefers-reduced-motion: reduce) { ... }"),
            ("use the dynamic viewport height", "height: 100dvh;"),
        ),
        settings=(
            ('"browserslist"', '["defaults", "not IE 11"]', "drops prefixes we never need"),
            ('"stylelint.rules.color-no-invalid-hex"', "true", "catches typos in colours"),
            ('"postcss.plugins"', '["autoprefixer"]', "adds vendor prefixes at build time"),
        ),
        gotchas=(
            "transform on a parent creates a new containing block for fixed children",
            "margins of adjacent blocks collapse into one",
            "a flex item's min-width defaults to auto, so long words never wrap",
        ),
        code=(
            ".layout {\n"
            "  display: grid;\n"
            "  grid-template-columns: minmax(12rem, 18rem) 1fr;\n"
            "  gap: 1rem;\n"
            "}\n\n"
            "@media (max-width: 40rem) {\n"
            "  .layout { grid-template-columns: 1fr; }\n"
            "}",
            ":root {\n"
            "  --accent: #2563eb;\n"
            "}\n"
            "[data-theme='dark'] {\n"
            "  --accent: #60a5fa;\n"
            "}\n"
            ".button { background: var(--accent); }",
        ),
        alts=("Tailwind", "CSS modules"),
    ),
    Tech(
        name="GraphQL",
        domain="web",
        tags=("graphql", "api", "backend"),
        lang="graphql",
        config_lang="yaml",
        nouns=(
            "resolver",
            "DataLoader",
            "schema stitching",
            "persisted query",
            "pagination cursor",
            "subscription",
        ),
        errors=(
            'Cannot query field "email" on type "User".',
            'Variable "$id" of required type "ID!" was not provided.',
            "Query is too complex: 1520. Maximum allowed complexity: 1000",
            "Cannot return null for non-nullable field Query.viewer.",
        ),
        howtos=(
            ("batch resolver lookups", "const users = new DataLoader(ids => db.usersByIds(ids));"),
            (
                "introspect a remote schema",
                "npx get-graphql-schema https://api.example.com/graphql",
            ),
            ("generate TypeScript types", "npx graphql-codegen --config codegen.yml"),
            (
                "limit query depth",
                "const server = new ApolloServer({ schema, validationRules: [depthLimit(8)] });",
            ),
            (
                "send a query with curl",
                "curl -X POST -H 'Content-Type: application/json' "
                '-d \'{"query":"{ viewer { id } }"}\' localhost:4000/graphql',
            ),
        ),
        settings=(
            ("maxDepth", "8", "stops recursive friend-of-friend queries"),
            ("introspection", "false", "off in production"),
            ("persistedQueries.ttl", "86400", "one day of cached query hashes"),
        ),
        gotchas=(
            "a resolver per field without DataLoader turns a list into N+1 database calls",
            "errors come back with HTTP 200, so status-based monitoring sees nothing",
            "a nullable field that throws becomes null and hides the error",
        ),
        code=(
            "type Query {\n"
            "  orders(first: Int = 20, after: String): OrderConnection!\n"
            "}\n\n"
            "type OrderConnection {\n"
            "  edges: [OrderEdge!]!\n"
            "  pageInfo: PageInfo!\n"
            "}",
            "query Orders($after: String) {\n"
            "  orders(first: 50, after: $after) {\n"
            "    edges { node { id total status } }\n"
            "    pageInfo { hasNextPage endCursor }\n"
            "  }\n"
            "}",
        ),
        alts=("REST", "gRPC"),
    ),
)

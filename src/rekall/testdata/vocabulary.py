"""Shared words of the synthetic base: the Tech record, projects, places and circumstances."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tech:
    """One technology and the facts a developer would write down about it."""

    name: str
    domain: str
    tags: tuple[str, ...]
    lang: str
    config_lang: str
    nouns: tuple[str, ...]
    errors: tuple[str, ...]
    howtos: tuple[tuple[str, str], ...]
    settings: tuple[tuple[str, str, str], ...]
    gotchas: tuple[str, ...]
    code: tuple[str, ...]
    alts: tuple[str, ...]
    code_langs: tuple[str, ...] = ()

    def code_lang(self, code: str) -> str:
        """The fence language of one of this topic's code samples."""
        index = self.code.index(code)
        return self.code_langs[index] if index < len(self.code_langs) else self.lang


PROJECTS = (
    "billing-api",
    "webapp",
    "data-pipeline",
    "mobile-app",
    "infra",
    "auth-service",
    "search-service",
    "admin-dashboard",
    "cli-tools",
    "ml-platform",
    "payments",
    "docs-site",
    "notifications",
)

ENVS = (
    "production",
    "staging",
    "CI",
    "local dev",
    "the Docker image",
    "the nightly job",
    "the preview environment",
    "the ARM build",
    "the Windows runners",
    "the canary",
    "the load test",
    "the on-prem install",
)

TRIGGERS = (
    "after the upgrade",
    "under load",
    "on cold start",
    "only in CI",
    "behind the corporate proxy",
    "after a deploy",
    "when the disk fills up",
    "after a few hours of uptime",
    "on the first request",
    "when two jobs run at once",
    "after a failover",
    "with large payloads",
    "on Monday mornings",
    "after a DST change",
    "when the network flaps",
    "with non-ASCII input",
    "on a fresh clone",
    "after rotating credentials",
    "inside a container",
    "with more than 1,000 rows",
    "on retry",
    "during the nightly backup",
    "right after a restart",
    "when the cache is cold",
    "with debug logging off",
)

SYMPTOMS = (
    "hangs",
    "times out",
    "returns 502",
    "leaks memory",
    "silently drops writes",
    "spikes CPU to 100%",
    "reports stale data",
    "crashes",
    "deadlocks",
    "slows to a crawl",
    "loses its config",
    "fills the logs with warnings",
    "returns the wrong results",
    "retries forever",
    "starts twice",
    "ignores the timeout",
    "logs out every user",
    "corrupts the output",
    "runs out of file descriptors",
    "never becomes ready",
)

AREAS = (
    "background jobs",
    "the new service",
    "local development",
    "CI",
    "the reporting stack",
    "session storage",
    "the public API",
    "internal tools",
    "the event pipeline",
    "the admin UI",
    "feature flags",
    "audit logging",
    "file uploads",
    "search",
    "the mobile backend",
)

QUALIFIERS = (
    "",
    "",
    "",
    " (one-liner)",
    " in a script",
    " from CI",
    " on macOS",
    " on Linux",
    " without root",
    " inside a container",
    " safely",
    " for a big dataset",
    " the quick way",
)

GENERIC_TAGS = {
    "bug": ("debugging", "production", "incident", "regression"),
    "pattern": ("architecture", "best-practice", "reliability"),
    "decision": ("adr", "architecture", "tradeoffs"),
    "pitfall": ("gotcha", "footgun", "debugging"),
    "config": ("configuration", "tuning", "ops"),
    "reference": ("cheatsheet", "docs", "cli"),
    "snippet": ("snippet", "cli", "productivity"),
    "til": ("til", "learning"),
}

FUNCTION_NAMES = (
    "load_config",
    "handle_request",
    "sync_orders",
    "refresh_token",
    "build_index",
    "process_batch",
    "render_page",
    "fetch_user",
    "send_invoice",
    "resize_image",
    "import_csv",
    "flush_queue",
)

FILE_STEMS = (
    "app",
    "worker",
    "server",
    "handlers",
    "jobs",
    "client",
    "models",
    "views",
    "billing",
    "sync",
)

PEOPLE = ("Ana", "Bram", "Chloé", "Dev", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas")

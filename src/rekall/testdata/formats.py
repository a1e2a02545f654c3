"""Markdown pieces: fenced blocks, bullet lists, config files, log lines and stack traces."""

from __future__ import annotations

import random
from collections.abc import Iterable

from rekall.testdata.vocabulary import FILE_STEMS, FUNCTION_NAMES

Nested = dict[str, "Nested | str"]


def fence(code: str, lang: str = "") -> str:
    """Wrap code in a fenced block tagged with its language."""
    return f"```{lang}\n{code.rstrip()}\n```"


def bullets(items: Iterable[str]) -> str:
    """A Markdown bullet list, one item a line."""
    return "\n".join(f"- {item}" for item in items)


def numbered(items: Iterable[str]) -> str:
    """A Markdown numbered list."""
    return "\n".join(f"{n}. {item}" for n, item in enumerate(items, start=1))


def config_block(settings: Iterable[tuple[str, str, str]], lang: str) -> str:
    """Write key/value settings the way the config file of that language spells them."""
    pairs = [(key, value) for key, value, _ in settings]
    if lang == "yaml":
        return fence(_yaml(pairs), "yaml")
    if lang == "json":
        body = ",\n".join(f"  {key}: {value}" for key, value in pairs)
        return fence("{\n" + body + "\n}", "json")
    if lang == "ts":
        body = "\n".join(f"  {key}: {value}," for key, value in pairs)
        return fence("export default defineConfig({\n" + body + "\n});", "ts")
    line = _LINE_FORMATS.get(lang, "{key} = {value}")
    text = "\n".join(line.format(key=_last(key, lang), value=value) for key, value in pairs)
    return fence(text, _FENCE_NAMES.get(lang, lang))


_LINE_FORMATS = {
    "nginx": "{key} {value};",
    "ssh": "    {key} {value}",
    "bash": "export {key}={value}",
    "ini": "{key} = {value}",
    "http": "{key}: {value}",
}
_FENCE_NAMES = {"ssh": "ssh-config"}


def _last(key: str, lang: str) -> str:
    """HCL has no dotted keys; a shell line with a space is a command, not a variable."""
    if lang == "hcl":
        return key.rsplit(".", 1)[-1]
    return key


def _yaml(pairs: list[tuple[str, str]]) -> str:
    """Nest dotted keys so that siblings share their parents, as a YAML file would."""
    tree: Nested = {}
    for key, value in pairs:
        node = tree
        *parents, leaf = key.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            node = child if isinstance(child, dict) else {}
        node[leaf] = value
    return "\n".join(_yaml_lines(tree, 0))


def _yaml_lines(tree: Nested, depth: int) -> list[str]:
    lines: list[str] = []
    for key, value in tree.items():
        if isinstance(value, dict):
            lines.append(f"{'  ' * depth}{key}:")
            lines.extend(_yaml_lines(value, depth + 1))
        else:
            lines.append(f"{'  ' * depth}{key}: {value}")
    return lines


def log_lines(error: str, rng: random.Random, count: int) -> str:
    """A few timestamped log lines ending in the error, in a text block."""
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    hour, minute = rng.randint(0, 23), rng.randint(0, 59)
    stem = rng.choice(FILE_STEMS)
    lines = []
    for n in range(count - 1):
        lines.append(
            f"2024-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{10 + n * 7:02d}Z WARN "
            f"[{stem}] retrying ({n + 1}/{count - 1})"
        )
    lines.append(f"2024-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:59Z ERROR [{stem}] {error}")
    return fence("\n".join(lines), "text")


def stack_trace(error: str, lang: str, rng: random.Random) -> str:
    """A short stack trace in the style of the language's runtime, or log lines otherwise."""
    first, second = rng.sample(FUNCTION_NAMES, 2)
    stem = rng.choice(FILE_STEMS)
    line_a, line_b = rng.randint(12, 480), rng.randint(12, 480)
    if lang == "python":
        text = (
            "Traceback (most recent call last):\n"
            f'  File "/app/{stem}.py", line {line_a}, in {first}\n'
            f"    result = {second}(payload)\n"
            f'  File "/app/{stem}_utils.py", line {line_b}, in {second}\n'
            "    return client.send(request)\n"
            f"{error}"
        )
    elif lang in ("js", "ts", "tsx"):
        text = (
            f"{error}\n"
            f"    at {_camel(first)} (/app/src/{stem}.{lang}:{line_a}:17)\n"
            f"    at async {_camel(second)} (/app/src/{stem}.{lang}:{line_b}:5)\n"
            "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)"
        )
    elif lang in ("go", "java"):
        text = _jvm_or_go(error, lang, first, stem, line_a)
    else:
        return log_lines(error, rng, 3)
    return fence(text, "text")


def _jvm_or_go(error: str, lang: str, func: str, stem: str, line: int) -> str:
    if lang == "go":
        return (
            f"{error}\n\ngoroutine 1 [running]:\n"
            f"main.{_camel(func)}(...)\n\t/app/{stem}.go:{line} +0x1d\n"
            f"main.main()\n\t/app/main.go:27 +0x65\nexit status 2"
        )
    klass = stem.capitalize() + "Service"
    return (
        f"{error}\n"
        f"\tat com.acme.{stem}.{klass}.{_camel(func)}({klass}.java:{line})\n"
        "\tat java.base/java.lang.Thread.run(Thread.java:833)"
    )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def command_lang(command: str, code_lang: str) -> str:
    """Guess whether a one-line command is shell or code in the topic's language."""
    head = command.split(" ", 1)[0]
    looks_like_code = (
        "(" in head
        or command.endswith(";")
        or head.endswith(":")
        or head[:1].isupper()
        or not (head[:1].isalpha() or head[:1] in "./$~")
    )
    return code_lang if looks_like_code else "bash"

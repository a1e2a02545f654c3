"""A real-terminal smoke run under tmux: open, search, open an entry, edit it, quit."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rekall.service import Rekall

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(
        shutil.which("tmux") is None,
        reason="tmux is not on PATH (CI installs it with: apt-get install -y tmux)",
    ),
]

# Generous: on a loaded 2-core machine the app's start and the model's first load can each
# take many seconds. Every wait polls the screen for what it must show, never a duration.
DEADLINE = 90.0
EDITOR_SCRIPT = """\
import pathlib, sys
path = pathlib.Path(sys.argv[1])
path.write_text(path.read_text().replace("on Safari", "on Safari 17"))
"""


class Tmux:
    """One private tmux server (its own socket name), driving a single 80x24 window."""

    def __init__(self) -> None:
        self.socket = f"rekall-test-{uuid.uuid4().hex[:12]}"
        self.socket_path: str | None = None

    def run(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            timeout=DEADLINE,
            check=True,
        )
        return result.stdout

    def start(self, command: str) -> None:
        self.run("new-session", "-d", "-s", "rekall", "-x", "80", "-y", "24", command)
        # tmux holds a lone escape back for 500 ms by default, to tell it from a sequence.
        self.run("set-option", "-s", "escape-time", "0")
        self.socket_path = self.run("display-message", "-p", "#{socket_path}").strip()

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "rekall")

    def wait_for(self, *fragments: str, timeout: float = DEADLINE) -> str:
        """Poll the pane until every fragment shows; fail with the screen otherwise."""
        return self.wait_until(
            lambda screen: all(fragment in screen for fragment in fragments),
            timeout,
            f"never saw {fragments!r} on the screen",
        )

    def wait_until(
        self,
        check: Callable[[str], bool],
        timeout: float = DEADLINE,
        failure: str = "the screen never got there",
    ) -> str:
        """Poll the pane until check(screen) holds; fail with every screen seen meanwhile."""
        deadline = time.monotonic() + timeout
        seen: list[str] = []
        while not check(screen := self.screen()):
            if not seen or seen[-1] != screen:
                seen.append(screen)
            if time.monotonic() > deadline:
                pytest.fail(f"{failure}; the screens since the last keys:\n" + "\n~~~\n".join(seen))
            time.sleep(0.05)
        return screen

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "rekall", *keys)

    def text(self, text: str) -> None:
        self.run("send-keys", "-t", "rekall", "-l", text)

    def kill(self) -> None:
        """End this test's server and remove its socket file (tmux leaves it behind)."""
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, check=False)
        if self.socket_path:
            Path(self.socket_path).unlink(missing_ok=True)


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    terminal = Tmux()
    try:
        yield terminal
    finally:
        terminal.kill()


def launcher(tmp_path: Path) -> str:
    """A shell command running `rekall` with this test's environment, then its exit status."""
    editor = tmp_path / "editor.py"
    editor.write_text(EDITOR_SCRIPT)
    env = {name: val for name, val in os.environ.items() if name.startswith(("REKALL_", "XDG_"))}
    env.update(
        HF_HUB_OFFLINE="1",
        EDITOR=f"{shlex.quote(sys.executable)} {shlex.quote(str(editor))}",
        TERM="xterm-256color",
    )
    exports = " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items())
    python = shlex.quote(sys.executable)
    rekall = f"{python} -c 'from rekall.interfaces.cli.main import main; main()'"
    return f'env {exports} {rekall}; echo "rekall exited with $?"; sleep 60'


def new_query(tmux: Tmux, query: str) -> None:
    """From the list: / to the search box, ctrl+u, the query, then enter twice, each sent
    as soon as the last, as a quick typist does."""
    tmux.keys("/", "C-u")
    tmux.text(query)
    tmux.keys("Enter", "Enter")


def test_open_search_open_an_entry_edit_and_quit(tmux: Tmux, tmp_path: Path) -> None:
    service = Rekall()
    try:
        service.add("bug", "CORS fails on Safari", "Safari drops cross-site cookies.", ("cors",))
        service.add("til", "nohup keeps a job alive after logout", "SIGHUP.", ("shell",))
    finally:
        service.close()
    tmux.start(launcher(tmp_path))
    tmux.wait_for("Search · hybrid", "nohup keeps a job alive", "2 entries")

    # A burst: the query, then enter twice at once; the typed query's top hit opens, not
    # the top of the list as it was (the nohup entry, the newer one).
    tmux.text("safari")
    tmux.keys("Enter", "Enter")
    tmux.wait_for("Safari drops cross-site cookies.", "tags: cors", "Links and related")

    # Back on the list, a new query typed fast: ctrl+u clears the old one, not the new one
    # (it once acted after the letters, and enter opened the top of the whole list).
    tmux.keys("q")
    tmux.wait_for("Search · hybrid")
    new_query(tmux, "safari")
    tmux.wait_for("Safari drops cross-site cookies.", "tags: cors", "Links and related")

    # The saved title on the entry's own screen (the "Saved" notice is brief: a loaded
    # machine can take it away before the screen is read).
    tmux.keys("E")
    tmux.wait_for("CORS fails on Safari 17", "tags: cors", "Links and related")

    # The same after the $EDITOR round trip; the edited entry now tops the list.
    tmux.keys("Escape")
    tmux.wait_for("Search · hybrid")
    new_query(tmux, "nohup")
    tmux.wait_for("nohup keeps a job alive after logout", "SIGHUP.", "Links and related")
    tmux.keys("q")
    tmux.wait_for("Search · hybrid")

    # A draft is never thrown away without asking. (Escape and a key sent together would
    # read as alt+key, as in any terminal: wait for the escape to show.)
    tmux.keys("Escape")
    tmux.wait_for("2 entries")
    tmux.keys("a")
    tmux.wait_for("New entry")
    tmux.text("Half-written thought")
    tmux.keys("Escape")
    tmux.wait_for("Discard your changes")
    tmux.keys("n")
    tmux.wait_until(lambda screen: "Discard your" not in screen and "Half-written" in screen)
    tmux.keys("Escape")
    tmux.wait_for("Discard your changes")
    tmux.keys("y")
    tmux.wait_for("Search · hybrid", "2 entries")
    tmux.keys("q")
    screen = tmux.wait_for("rekall exited with 0")
    assert "Search · hybrid" not in screen, "the terminal was not restored"
    service = Rekall()
    try:
        found = service.search("safari", "keyword").results[0].entry
        assert found.title == "CORS fails on Safari 17"
    finally:
        service.close()

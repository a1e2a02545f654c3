"""Write the labelled queries of the real-text corpora (tests/fixtures/corpora/*.queries.json).

Relevance rules:
- question: written without the answer's wording, by a developer who knows the tool; relevant
  are the documents whose subject does what the question asks (read and judged by hand).
- identifier: an exact string a developer pastes (a function, flag, constant, file name);
  relevant are all documents whose title or text holds it as a whole word, case-sensitive
  (computed here). Identifiers held by more than 5 documents are refused: recall@10 would
  measure the corpus, not the search.

Run: ``python benchmarks/corpora/label_queries.py`` after ``build_corpora.py``; the ``libdocs``
queries live in ``libdocs_queries.py``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from libdocs_queries import LIBDOCS_IDENTIFIERS, LIBDOCS_QUESTIONS  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "corpora"
MAX_IDENTIFIER_DOCUMENTS = 5

PYDOC_QUESTIONS = {
    "delete a folder together with everything inside it": ["shutil.rmtree"],
    "run an external program and grab what it prints": [
        "subprocess.run",
        "subprocess.check_output",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
    ],
    "turn a python object into a json string": ["json.dumps"],
    "read settings from an ini style file with sections": [
        "configparser",
        "configparser.ConfigParser",
        "configparser.RawConfigParser.read",
    ],
    "scratch folder that disappears when I am done with it": ["tempfile.TemporaryDirectory"],
    "list all files matching a wildcard like *.txt": [
        "glob.glob",
        "glob.iglob",
        "fnmatch.filter",
        "pathlib.Path.glob",
        "pathlib.Path.rglob",
    ],
    "checksum of a file's bytes with sha256": ["hashlib", "hashlib.file_digest", "hashlib.sha256"],
    "check two tokens for equality without leaking timing information": [
        "hmac.compare_digest",
        "secrets.compare_digest",
    ],
    "random string for a password reset link": [
        "secrets",
        "secrets.token_urlsafe",
        "secrets.token_hex",
    ],
    "show what changed between two versions of a text like a patch": [
        "difflib.unified_diff",
        "difflib.context_diff",
        "difflib.ndiff",
        "difflib",
        "difflib.Differ",
    ],
    "break a long paragraph into lines of at most 70 characters": [
        "textwrap.wrap",
        "textwrap.fill",
    ],
    "strip the indentation shared by every line of a triple-quoted string": [
        "textwrap.dedent",
        "inspect.cleandoc",
    ],
    "convert seconds since 1970 into a date object": [
        "datetime.datetime.fromtimestamp",
        "datetime.date.fromtimestamp",
        "datetime.datetime.utcfromtimestamp",
        "time.localtime",
        "time.gmtime",
    ],
    "turn the text 2024-01-31 into a date": [
        "datetime.datetime.strptime",
        "time.strptime",
        "datetime.date.fromisoformat",
        "datetime.datetime.fromisoformat",
    ],
    "get the top 5 biggest items without ordering the whole list": ["heapq.nlargest"],
    "put a value into an already ordered list so it stays ordered": [
        "bisect.insort",
        "bisect.insort_right",
        "bisect.insort_left",
    ],
    "tally how often each word appears": ["collections.Counter"],
    "mapping that fills in a starting value for keys it has never seen": [
        "collections.defaultdict",
        "dict.setdefault",
    ],
    "remember the answers of a slow function so repeat calls are free": [
        "functools.lru_cache",
        "functools.cache",
        "functools.cached_property",
    ],
    "walk a sequence looking at each element with its neighbour": ["itertools.pairwise"],
    "ignore one kind of error inside a with block": ["contextlib.suppress"],
    "capture everything print writes into a variable": [
        "contextlib.redirect_stdout",
        "io.StringIO",
    ],
    "class that only holds fields, with init and repr written for me": [
        "dataclasses.dataclass",
        "dataclasses",
        "typing.NamedTuple",
        "collections.namedtuple",
    ],
    "clone a nested structure so changes do not affect the original": ["copy.deepcopy", "copy"],
    "cut a command line into arguments the way the shell would": ["shlex.split", "shlex.shlex"],
    "make a filename safe to paste into a shell command": ["shlex.quote"],
    "log the stack of the error I just caught as a string": [
        "traceback.format_exc",
        "traceback.print_exc",
        "logging.exception",
        "logging.Logger.exception",
    ],
    "make deprecation notices fail my test run": [
        "warnings.simplefilter",
        "warnings.filterwarnings",
        "warnings",
    ],
    "set up log output to stderr with a format in one call": ["logging.basicConfig"],
    "accept options and positional values from the terminal in my script": [
        "argparse",
        "argparse.ArgumentParser",
        "argparse.ArgumentParser.add_argument",
    ],
    "start several coroutines together and collect all their results": [
        "asyncio.gather",
        "asyncio.TaskGroup",
        "asyncio.wait",
        "asyncio.as_completed",
    ],
    "cancel an awaitable if it takes more than a few seconds": [
        "asyncio.wait_for",
        "asyncio.timeout",
        "asyncio.timeout_at",
    ],
    "globally unique random id for a record": ["uuid.uuid4", "uuid"],
    "pick k distinct elements from a population": ["random.sample", "random.Random.sample"],
    "spread of my measurements around their average": [
        "statistics.stdev",
        "statistics.pstdev",
        "statistics.variance",
        "statistics.pvariance",
    ],
    "money sums without binary floating point surprises": ["decimal.Decimal", "decimal"],
    "convert numbers to bytes in network byte order for a binary protocol": [
        "struct",
        "struct.pack",
        "socket.htons",
        "socket.htonl",
        "int.to_bytes",
    ],
    "how fast is this one-liner, repeated many times": [
        "timeit",
        "timeit.timeit",
        "timeit.repeat",
        "timeit.Timer.timeit",
    ],
    "do some cleanup right before the interpreter quits": ["atexit.register", "atexit"],
    "prompt for a secret without echoing the keystrokes": ["getpass.getpass"],
    "find the content type of a file from its extension": [
        "mimetypes.guess_type",
        "mimetypes.MimeTypes.guess_type",
    ],
    "open a web page in the user's default browser": [
        "webbrowser.open",
        "webbrowser",
        "webbrowser.open_new",
        "webbrowser.open_new_tab",
    ],
    "percent-encode text so it can go in a query string": [
        "urllib.parse.quote",
        "urllib.parse.urlencode",
        "urllib.parse.quote_plus",
        "urllib.request.quote",
    ],
    "split a link into scheme, host, path and query": [
        "urllib.parse.urlparse",
        "urllib.parse.urlsplit",
    ],
    "evaluate a string holding a python dict without running arbitrary code": [
        "ast.literal_eval",
    ],
    "look at the low-level instructions the interpreter runs for a function": [
        "dis.dis",
        "dis",
        "dis.Bytecode",
        "dis.get_instructions",
    ],
    "import a module when I only know its name at runtime": ["importlib.import_module"],
    "create a directory and all missing parents": ["os.makedirs", "pathlib.Path.mkdir"],
    "find where an executable lives on PATH": ["shutil.which"],
    "how much free space is left on the drive": ["shutil.disk_usage", "os.statvfs"],
    "stop a blocking call after n seconds on unix with a signal": [
        "signal.alarm",
        "signal.setitimer",
    ],
    "open a TCP client connection to host and port with a timeout": [
        "socket.create_connection",
    ],
    "replace every match of a pattern in a string": ["re.sub", "re.Pattern.sub", "re.subn"],
    "how many days does February have this year": ["calendar.monthrange", "calendar.isleap"],
    "run a CPU-heavy function on every item using all cores": [
        "concurrent.futures.ProcessPoolExecutor",
        "multiprocessing.Pool",
        "multiprocessing.pool.Pool.map",
        "concurrent.futures.Executor.map",
    ],
    "sort a list of dicts by one of their values": ["operator.itemgetter"],
    "fix some arguments of a function and get a new callable": ["functools.partial"],
    "keep the name and docstring of a function I decorate": [
        "functools.wraps",
        "functools.update_wrapper",
    ],
    "write a with-statement helper using a generator": ["contextlib.contextmanager"],
    "expand ~ to the home folder in a path": ["os.path.expanduser", "pathlib.Path.expanduser"],
    "elapsed time that never jumps when the wall clock is adjusted": [
        "time.monotonic",
        "time.perf_counter",
        "time.monotonic_ns",
        "time.perf_counter_ns",
    ],
    "compare floats for equality with a tolerance": ["math.isclose"],
    "mail a message through an outgoing server": [
        "smtplib.SMTP",
        "smtplib",
        "smtplib.SMTP.send_message",
        "smtplib.SMTP.sendmail",
    ],
    "find out where an installed package keeps its files and scripts": [
        "sysconfig.get_paths",
        "sysconfig.get_path",
    ],
}

PYDOC_IDENTIFIERS = [
    "getstatusoutput",
    "TimeoutExpired",
    "JSONDecodeError",
    "rmtree",
    "NamedTemporaryFile",
    "literal_eval",
    "compare_digest",
    "token_urlsafe",
    "unified_diff",
    "nlargest",
    "redirect_stdout",
    "call_soon_threadsafe",
    "SIGCHLD",
    "CERT_NONE",
    "AF_UNIX",
    "QUOTE_NONE",
    "ignore_patterns",
    "addCleanup",
    "assertWarns",
    "captureWarnings",
    "SMTPAuthenticationError",
    "isqrt",
    "from_iterable",
    "shutil.which",
    "os.makedirs",
    "freedesktop_os_release",
    "getaddrinfo",
]

DEBIAN_QUESTIONS = {
    "which process is holding this port or file open": ["lsof", "psmisc"],
    "watch every request a running program makes to the kernel": ["strace"],
    "find where my C program leaks memory": ["valgrind", "heaptrack"],
    "profile where cpu time goes on linux, kernel included": ["linux-perf"],
    "keep my shell sessions alive after the ssh connection drops": ["tmux"],
    "slice and reshape json documents in a shell pipeline": ["jq"],
    "the same kind of filter but for yaml files": ["yq"],
    "fetch a file over http in a script without a browser": ["wget", "curl"],
    "show the differing lines between two text files": ["diffutils", "diffuse"],
    "apply a diff someone sent me to my source tree": ["patch"],
    "view the raw bytes of a binary file in hex": ["xxd"],
    "squeeze files smaller with a very fast modern algorithm": ["zstd", "lz4"],
    "unpack a .zip someone mailed me": ["unzip", "fuse-zip"],
    "control kubernetes clusters from my terminal": ["kubectl"],
    "log into remote machines over an encrypted connection": ["openssh-client"],
    "encrypt and sign files with public-key cryptography": ["gnupg", "gpg"],
    "verify a detached signature on a download": ["gpgv"],
    "make a certificate signing request or test a TLS handshake": ["openssl"],
    "trusted root authorities so https verification works": ["ca-certificates"],
    "interactively pick an item from a long list by typing part of it": ["fzf"],
    "jump from a function call to its definition across a code base": [
        "universal-ctags",
        "exuberant-ctags",
        "cscope",
        "cgvg",
    ],
    "see how long a command ran and how much cpu and memory it used": ["time"],
    "a quicker alternative to make for large generated builds": ["ninja-build"],
    "generate build files for c++ projects on any platform": ["cmake"],
    "build and manage dependencies of java projects": ["maven"],
    "run javascript outside the browser": ["nodejs"],
    "the relational database server": ["postgresql", "postgresql-15"],
    "restore a postgres server to a point in time from backups": ["barman"],
    "query a single-file database from the terminal": ["sqlite3"],
    "set ip addresses and routes on a linux box": ["iproute2", "net-tools"],
    "build packages as if I were root without being root": ["fakeroot"],
    "what kind of data is in this file without trusting its extension": ["file"],
    "search files for lines matching a regular expression": ["grep"],
    "rename files that contain spaces and odd characters": ["detox"],
    "benchmark disk read and write throughput": ["fio"],
    "set up packet filtering rules on my server": ["firewalld", "firehol", "filtergen"],
    "see which hosts use the most bandwidth on my network": ["darkstat", "cbm", "argus-server"],
    "deduplicating backups of my home directory": ["borgbackup2"],
    "list running processes and their memory use": ["procps"],
    "create compile_commands.json so clangd understands my build": ["bear"],
    "throw random inputs at a binary until it crashes": ["afl++"],
    "spread dns queries across several upstream servers": ["dnsdist"],
    "step through a crashing C program and inspect variables": ["gdb", "ddd"],
    "find files by name instantly using a prebuilt index": ["locate"],
    "keep the system clock correct": ["systemd-timesyncd"],
    "install python libraries from the package index": ["python3-pip"],
    "isolated environment for a python project's dependencies": ["python3-venv", "python3.11-venv"],
    "read and write yaml from python": ["python3-yaml"],
    "signed tokens for web authentication in python": ["python3-jwt"],
    "look up documentation pages for commands": ["man-db", "manpages"],
}

DEBIAN_IDENTIFIERS = [
    "pg_ctlcluster",
    "pg_lsclusters",
    "XDG_CONFIG_HOME",
    "DEB_BUILD_OPTIONS",
    "nsswitch.conf",
    "sources.list",
    "perf_events",
    "-fsanitize",
    "pkg_resources",
    "bdist_wheel",
    "DNSSEC",
    "PCRE2",
    "magic.mgc",
    "pam_unix.so",
    "GSSAPI",
    "xxHash",
    "IDNA2008",
    "crypt_gensalt",
    "fuser",
    "killall",
    "xargs",
    "egrep",
    "LD_PRELOAD",
]


def literal_relevance(identifier: str, documents: list[dict[str, Any]]) -> list[str]:
    """Keys of the documents holding the identifier as a whole word (case-sensitive)."""
    pattern = re.compile(r"(?<![\w-])" + re.escape(identifier) + r"(?![\w-])")
    return [
        d["key"] for d in documents if pattern.search(d["title"]) or pattern.search(d["content"])
    ]


def label(name: str, questions: dict[str, list[str]], identifiers: list[str]) -> None:
    documents = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))["documents"]
    keys = {d["key"] for d in documents}
    queries = []
    for text, relevant in questions.items():
        kept = [key for key in relevant if key in keys]
        if not kept:
            raise SystemExit(f"{name}: no relevant document left for {text!r}")
        if len(kept) < len(relevant):
            print(f"{name}: not in the corpus: {sorted(set(relevant) - keys)} ({text!r})")
        queries.append({"query": text, "kind": "question", "relevant": kept})
    for identifier in identifiers:
        relevant = literal_relevance(identifier, documents)
        if not 1 <= len(relevant) <= MAX_IDENTIFIER_DOCUMENTS:
            print(f"{name}: skipped {identifier!r}, held by {len(relevant)} documents")
            continue
        queries.append({"query": identifier, "kind": "identifier", "relevant": relevant})
    path = FIXTURES / f"{name}.queries.json"
    path.write_text(json.dumps(queries, indent=1) + "\n", encoding="utf-8")
    kinds = [q["kind"] for q in queries]
    print(
        f"{path.name}: {kinds.count('question')} questions, {kinds.count('identifier')} identifiers"
    )


def main() -> None:
    label("pydoc", PYDOC_QUESTIONS, PYDOC_IDENTIFIERS)
    label("debian", DEBIAN_QUESTIONS, DEBIAN_IDENTIFIERS)
    label("libdocs", LIBDOCS_QUESTIONS, LIBDOCS_IDENTIFIERS)


if __name__ == "__main__":
    main()

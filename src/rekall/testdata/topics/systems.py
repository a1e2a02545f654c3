"""Operating systems: Linux, macOS and Windows."""

from __future__ import annotations

from rekall.testdata.vocabulary import Tech

TECHS = (
    Tech(
        name="Linux",
        domain="os",
        tags=("linux", "systemd", "ops"),
        lang="bash",
        config_lang="ini",
        nouns=(
            "systemd unit",
            "file descriptor limit",
            "OOM killer",
            "journal",
            "cron job",
            "inotify watch",
        ),
        errors=(
            "Too many open files",
            "Out of memory: Killed process 2314 (java) total-vm:8123456kB",
            "Failed to start app.service: Unit app.service has a bad unit file setting.",
            "No space left on device (inodes exhausted)",
            "ENOSPC: System limit for number of file watchers reached",
        ),
        howtos=(
            ("see why a service failed", "journalctl -u app.service -b --no-pager | tail -50"),
            ("find what fills the disk", "sudo du -xh / --max-depth=2 | sort -h | tail"),
            (
                "raise inotify watches",
                "echo fs.inotify.max_user_watches=524288 | sudo tee /etc/sysctl.d/40-watches.conf",
            ),
            ("list open files of a process", "ls /proc/2314/fd | wc -l"),
            ("find deleted files still held open", "sudo lsof +L1"),
        ),
        settings=(
            ("LimitNOFILE", "65536", "the service opens many sockets"),
            ("Restart", "on-failure", "with RestartSec=5 to avoid a restart storm"),
            ("MemoryMax", "1G", "the kernel kills this unit, not a neighbour"),
        ),
        gotchas=(
            "a deleted log file keeps using disk until the process holding it closes it",
            "cron runs with a minimal PATH and no login environment",
            "ulimit in a shell does not apply to services started by systemd",
        ),
        code=(
            "[Unit]\n"
            "Description=Sync worker\n"
            "After=network-online.target\n\n"
            "[Service]\n"
            "ExecStart=/opt/app/bin/worker\n"
            "Restart=on-failure\n"
            "RestartSec=5\n"
            "LimitNOFILE=65536\n\n"
            "[Install]\n"
            "WantedBy=multi-user.target",
            "sudo systemctl daemon-reload\n"
            "sudo systemctl enable --now worker.service\n"
            "systemctl status worker.service --no-pager",
        ),
        alts=("containers", "supervisord"),
        code_langs=("ini", "bash"),
    ),
    Tech(
        name="macOS",
        domain="os",
        tags=("macos", "homebrew"),
        lang="bash",
        config_lang="bash",
        nouns=(
            "Homebrew prefix",
            "Gatekeeper",
            "keychain",
            "launchd agent",
            "Rosetta",
            "case-insensitive filesystem",
        ),
        errors=(
            '"app" cannot be opened because the developer cannot be verified.',
            "xcrun: error: invalid active developer path "
            "(/Library/Developer/CommandLineTools), missing xcrun",
            "zsh: command not found: brew",
            "Operation not permitted (Full Disk Access)",
        ),
        howtos=(
            ("remove the quarantine flag", "xattr -d com.apple.quarantine ./app"),
            ("reinstall the command line tools", "xcode-select --install"),
            (
                "flush the DNS cache",
                "sudo dscacheutil -flushcache; sudo killall -HUP mDNSResponder",
            ),
            ("see what listens on a port", "lsof -nP -iTCP:8080 -sTCP:LISTEN"),
            ("keep the Mac awake during a job", "caffeinate -i ./long-build.sh"),
        ),
        settings=(
            ("HOMEBREW_NO_AUTO_UPDATE", "1", "brew install stays fast"),
            ("ulimit -n", "10240", "the dev server watches many files"),
            ("PATH", '"/opt/homebrew/bin:$PATH"', "Apple Silicon prefix first"),
        ),
        gotchas=(
            "Foo.txt and foo.txt are the same file, so a rename by case confuses git",
            "BSD sed -i needs an explicit empty suffix argument",
            "Homebrew lives in /opt/homebrew on Apple Silicon but /usr/local on Intel",
        ),
        code=(
            "brew bundle dump --file=Brewfile --force\nbrew bundle --file=Brewfile",
            "defaults write com.apple.finder AppleShowAllFiles -bool true\nkillall Finder",
        ),
        alts=("Linux desktop", "a remote dev box"),
    ),
    Tech(
        name="Windows",
        domain="os",
        tags=("windows", "wsl", "powershell"),
        lang="powershell",
        config_lang="ini",
        nouns=(
            "WSL filesystem",
            "execution policy",
            "PATH length",
            "line endings",
            "Windows Defender scan",
            "file lock",
        ),
        errors=(
            "Access is denied. (0x80070005)",
            "cannot be loaded because running scripts is disabled on this system.",
            "The process cannot access the file because it is being used by another process.",
            "error: unable to create file: Filename too long",
        ),
        howtos=(
            ("allow local scripts", "Set-ExecutionPolicy -Scope CurrentUser RemoteSigned"),
            ("free memory taken by WSL", "wsl --shutdown"),
            ("find which process locks a file", "handle.exe C:\\work\\app.db"),
            ("enable long paths in git", "git config --system core.longpaths true"),
            ("see listening ports", "Get-NetTCPConnection -State Listen | Sort LocalPort"),
        ),
        settings=(
            ("memory", "8GB", "WSL no longer eats all the RAM"),
            ("processors", "4", "leaves cores for the IDE"),
            ("localhostForwarding", "true", "reach WSL servers from the Windows browser"),
        ),
        gotchas=(
            "files under /mnt/c are much slower from WSL than files in the Linux home",
            "a file open in another process cannot be replaced or deleted",
            "PowerShell's curl was an alias for Invoke-WebRequest",
        ),
        code=(
            "Get-ChildItem -Recurse -Filter *.log |\n"
            "  Where-Object { $_.LastWriteTime -lt (Get-Date).AddDays(-14) } |\n"
            "  Remove-Item",
            "$env:PATH -split ';' | Select-String python\nGet-Command python | Format-List Source",
        ),
        alts=("WSL only", "a Linux VM"),
    ),
)

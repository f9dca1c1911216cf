"""Output into a closed pipe (`cgan-tui ... | head`) ends quietly, without a traceback."""

import subprocess
import sys


def test_closed_pipe_gives_no_traceback(tmp_path):
    script = (
        "import sys; sys.argv=['cgan-tui','plugins']; from cgan_tui.cli import main; "
        "sys.exit(main())"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    proc.stdout.close()  # the reader is gone before anything is written
    _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err, err.decode()
    assert proc.returncode in (1, 141)  # rich's own handler exits 1; ours 141 (SIGPIPE style)

import sys

from cgan_tui.cli import main

sys.exit(main())

#!/usr/bin/env python
"""Search a method's hyperparameters, or retrain its best configurations (``--retrain K``).

Thin entry point; see ``python run_study.py --help`` and ``search/cli/main.py`` (with its
commands in ``search/cli/search_command.py`` and ``search/cli/retrain_command.py``).
"""

import sys

from search.running.runtime import configure_tensorflow

configure_tensorflow()  # oneDNN and quiet logs, before TensorFlow is first imported

from search.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())

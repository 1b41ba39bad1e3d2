# Shared by the rule files: where files are, and the interpreter the jobs run with.
import os
import sys

sys.path.insert(0, workflow.basedir)
# Jobs run `python` from the environment Snakemake runs in.
envvars:
    "PATH",


os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")

from pipeline.stages import STAGE_NAMES
from pipeline.running.workflow import WorkflowLayout, after_clean, cancel_idle_timers, input_parent, output_root, parent_dir

layout = WorkflowLayout(config, workflow.basedir)
OUT = layout.out


onsuccess:
    cancel_idle_timers()


onerror:
    cancel_idle_timers()

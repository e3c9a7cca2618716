"""index-ranges.test: writes DIR/NAME.tokens.npy and NAME.targets.npy (i32
[1, 4]) from two comma-separated lists, and DIR/NAME.flags for `loom run`."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_inputs import write_npy  # noqa: E402

out, tokens, targets, name = sys.argv[1:5]
flags = []
for what, text in (("tokens", tokens), ("targets", targets)):
    path = os.path.join(out, "%s.%s.npy" % (name, what))
    write_npy(path, "<i4", "i", [1, 4], [int(v) for v in text.split(",")])
    flags.append("--input %s=%s" % (what, path))
with open(os.path.join(out, name + ".flags"), "w") as f:
    f.write(" ".join(flags) + "\n")

"""How the serving process and a parser child talk over the child's stdin and stdout."""

import struct

LENGTH = struct.Struct(">I")  # each frame: its length, then its bytes
READY = b"ready\n"  # what a child says once its imports are done and its limits set
EXIT_CPU = 4  # a child's exit status when it ran out of CPU time
EXIT_MEMORY = 5  # ... and when it ran out of memory before it could say so

"""A child process that runs course_lib.synth.synthesize for the fuzz tests.

eSpeak NG is C code: a bad argument that reached it could abort the whole process. The fuzz
tests therefore call ``synthesize`` here, in a separate process: each request is one line of
base64-encoded pickle ``(text, kwargs)`` on stdin, each answer one such line on stdout:
``("ok", utterance)`` or ``("refused", error type name, message)``. Any other exception is
answered as ``("error", ...)``; a crash closes the pipe, which the test reports.
"""

import base64
import pickle
import sys

from course_lib.synth import synthesize


def main() -> None:
    for line in sys.stdin:
        text, kwargs = pickle.loads(base64.b64decode(line))
        try:
            answer = ("ok", synthesize(text, **kwargs))
        except (ValueError, TypeError) as error:
            answer = ("refused", type(error).__name__, str(error))
        except Exception as error:  # reported to the test, which fails on it
            answer = ("error", type(error).__name__, str(error))
        sys.stdout.write(base64.b64encode(pickle.dumps(answer)).decode() + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

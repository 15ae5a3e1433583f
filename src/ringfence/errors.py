"""The one error root of ringfence.

Every error names the input it is about and chains its cause. The CLI has the
single ``except Error`` and turns ``exit_code`` into the process status.

Tree::

    Error                      exit 3  could not complete
    ├── UsageError             exit 2  bad reference, option or argument
    ├── InputError             exit 3  a file, archive or document we cannot read
    │   ├── UnsafeArchiveError         a tar member that tries to leave the root / bomb
    │   └── DigestMismatchError        a blob whose bytes do not hash to its digest
    ├── RegistryError          exit 3  registry unreachable, refused or broken
    └── LimitExceededError     exit 3  a configured size or count budget was exceeded
"""

from __future__ import annotations


class Error(Exception):
    """Root of every error ringfence raises on purpose."""

    exit_code: int = 3

    def __init__(self, subject: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"{subject}: {message}")
        self.subject = subject
        self.message = message
        self.hint = hint

    def diagnostics(self) -> str:
        """A human explanation: the message, its causes and a hint when we have one."""
        lines = [str(self)]
        cause = self.__cause__
        while cause is not None:
            lines.append(f"  caused by: {type(cause).__name__}: {cause}")
            cause = cause.__cause__
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


class UsageError(Error):
    exit_code = 2


class InputError(Error):
    pass


class UnsafeArchiveError(InputError):
    pass


class DigestMismatchError(InputError):
    def __init__(self, subject: str, expected: str, actual: str) -> None:
        super().__init__(subject, f"digest mismatch: expected {expected}, got {actual}")
        self.expected = expected
        self.actual = actual


class RegistryError(Error):
    pass


class LimitExceededError(Error):
    pass


EXIT_OK = 0
EXIT_POLICY = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_UNKNOWNS = 4

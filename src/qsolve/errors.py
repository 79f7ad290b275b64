"""Errors qsolve raises for bad input; the CLI turns them into one-line messages and exit status 2."""


class QsolveError(Exception):
    """Bad input from the user: a state, a move, a name or a file that qsolve cannot accept."""

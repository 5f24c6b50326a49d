"""Blocking calls bounded in time: the call runs in a helper thread, and the caller
stops waiting for it after its timeout.

For a stat(2) of a suspend image, which blocks while an NFS server does not answer
(docs/solaris.md 2.1: a suspend resource's path is any global-zone path).  A helper
whose call returned serves the next one, so a method with hundreds of images does
not start a thread for each (about 0.1 ms of CPU apiece); a helper whose call never
returns stays blocked in it, a daemon thread that an exiting method does not wait
for, and the next call gets a new helper.  An idle helper ends after ``linger``
seconds without work.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar, Union

T = TypeVar("T")

# Seconds an idle helper waits for another call before it ends: longer than the
# gap between two transfers' ends, shorter than anything a test would notice.
LINGER = 1.0

_Outcome = tuple[bool, Union[T, BaseException]]  # (returned, value or exception)
_Job = tuple[Callable[[], T], "queue.SimpleQueue[_Outcome[T]]"]


class CallTimedOut(Exception):
    """The call did not return within its timeout (it goes on in its helper)."""


class BoundedCalls(Generic[T]):
    """Runs calls in helper threads named ``name``; see the module's docstring."""

    def __init__(self, name: str, *, linger: float = LINGER) -> None:
        self.name = name
        self.linger = linger
        self._idle: list[queue.SimpleQueue[_Job[T]]] = []
        self._lock = threading.Lock()

    def call(self, function: Callable[[], T], timeout: float) -> T:
        """``function()``'s value (or its exception, raised here); CallTimedOut when it
        has not returned after ``timeout`` seconds."""
        reply: queue.SimpleQueue[_Outcome[T]] = queue.SimpleQueue()
        self._helper().put((function, reply))
        try:
            returned, value = reply.get(timeout=timeout)
        except queue.Empty:
            raise CallTimedOut() from None
        if returned:
            return value  # type: ignore[return-value]  # (True, T) by construction
        raise value  # type: ignore[misc]  # (False, BaseException) by construction

    def _helper(self) -> queue.SimpleQueue[_Job[T]]:
        """The inbox of an idle helper, or of a new one."""
        with self._lock:
            if self._idle:
                return self._idle.pop()
        inbox: queue.SimpleQueue[_Job[T]] = queue.SimpleQueue()
        threading.Thread(target=self._serve, args=(inbox,), name=self.name, daemon=True).start()
        return inbox

    def _serve(self, inbox: queue.SimpleQueue[_Job[T]]) -> None:
        while True:
            try:
                function, reply = inbox.get(timeout=self.linger)
            except queue.Empty:
                with self._lock:
                    if any(idle is inbox for idle in self._idle):
                        self._idle = [idle for idle in self._idle if idle is not inbox]
                        return
                continue  # taken as the linger ended: its call is on the way
            outcome: _Outcome[T]
            try:
                outcome = (True, function())
            except BaseException as error:  # handed to the caller, raised there
                outcome = (False, error)
            # Idle again before the caller hears: the caller's next call, made as
            # soon as this one returns, finds this helper instead of starting another.
            with self._lock:
                self._idle.append(inbox)
            reply.put(outcome)

    @property
    def idle(self) -> int:
        """How many helpers wait for a call."""
        with self._lock:
            return len(self._idle)

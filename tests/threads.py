"""Doing things at once, as people and Stripe do: for the PostgreSQL row-lock tests."""

import threading
import time

from django.db import connection


def run_at_once(count: int, work) -> list:
    """Start `count` threads together and collect what each returns or raises."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def runner(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as error:  # the test looks at every outcome
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def hold(monkeypatch, owner, name: str, seconds: float = 0.3) -> None:
    """Make `owner.name` linger after it returns, holding whatever locks it took: a second
    thread then arrives while the first is inside its transaction."""
    real = getattr(owner, name)

    def lingering(*args, **kwargs):
        result = real(*args, **kwargs)
        time.sleep(seconds)
        return result

    monkeypatch.setattr(owner, name, lingering)

# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Real-world LD103 near miss (a server-sent-events library's thread-safety tests): each worker
# thread makes, sets and drives an event loop of its own. That loop belongs to the thread, not
# to pytest-asyncio, whose loop in the main thread is never touched.
import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor


async def current_thread_name() -> str:
    await asyncio.sleep(0)
    return threading.current_thread().name


def test_each_thread_has_its_own_loop() -> None:
    names: list[str] = []

    def worker() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            names.append(loop.run_until_complete(current_thread_name()))
        finally:
            loop.close()

    threads = [threading.Thread(target=worker, name=f"w{i}") for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(names) == ["w0", "w1"]


async def test_loop_in_executor_thread() -> None:
    def in_thread() -> str:
        return asyncio.run(current_thread_name())

    with ThreadPoolExecutor(max_workers=1) as pool:
        name = await asyncio.get_running_loop().run_in_executor(pool, in_thread)
    assert name != threading.current_thread().name


def test_submitted_to_a_pool() -> None:
    def drive() -> str:
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(current_thread_name())
        finally:
            loop.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(drive).result()

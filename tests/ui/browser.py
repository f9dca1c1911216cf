"""Headless Chromium driven over its DevTools protocol, to read what a ``cgan-tui serve`` page shows.

textual-serve draws the app with xterm.js on a canvas, so the page's DOM has no text. The terminal's
own buffer has it: a script installed before the page's scripts run catches the xterm ``Terminal``
when textual.js stores it (``this.terminal = new Terminal(...)``), and ``terminal_text()`` reads the
buffer's lines from it. Keys go in through ``terminal.input`` (what typing in the page does).

Also a tool: ``python -m tests.ui.browser URL OUT.png [WIDTH HEIGHT]`` waits for the app's results
table and writes a screenshot (how docs/serve.png was made).
"""

from __future__ import annotations

import asyncio
import base64
import json
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HANG_GUARD_S = 300.0
"""Upper bound of every wait here; each returns as soon as what it waits for happens."""

CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, 'terminal', {
  configurable: true,
  set(value) {
    Object.defineProperty(this, 'terminal', {value, writable: true, configurable: true, enumerable: true});
    if (value && typeof value.loadAddon === 'function' && value.buffer) { window.__cganTerminal = value; }
  },
});
"""

READ_BUFFER = """(() => {
  const t = window.__cganTerminal;
  if (!t) return null;
  const b = t.buffer.active, lines = [];
  for (let i = 0; i < b.length; i++) { const l = b.getLine(i); lines.push(l ? l.translateToString(true) : ''); }
  return lines.join('\\n');
})()"""


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """One headless Chromium with one page, driven over the DevTools websocket (aiohttp)."""

    def __init__(self, width: int = 1100, height: int = 700) -> None:
        self.size = (width, height)
        self.proc: subprocess.Popen | None = None
        self._profile = tempfile.TemporaryDirectory(prefix="cgan-chromium-")
        self._next_id = 0

    async def __aenter__(self) -> Browser:
        import aiohttp

        width, height = self.size
        # --no-sandbox: root in a container has no user namespaces; the page is our own local server
        self.proc = subprocess.Popen(
            [chromium_path() or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", f"--window-size={width},{height}",
             f"--user-data-dir={self._profile.name}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        browser_ws = await asyncio.to_thread(self._devtools_url)
        port = re.search(r":(\d+)/", browser_ws).group(1)
        self._http = aiohttp.ClientSession()
        deadline = time.monotonic() + HANG_GUARD_S
        while True:
            async with self._http.get(f"http://127.0.0.1:{port}/json/list") as response:
                pages = [t for t in await response.json() if t.get("type") == "page"]
            if pages:
                break
            if time.monotonic() > deadline:
                raise AssertionError("headless Chromium opened no page")
            await asyncio.sleep(0.1)
        self._ws = await self._http.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0)
        await self.call("Page.enable")
        # the page's viewport exactly this size (a headless window is taller than its page), and focused:
        # xterm.js tells the app when the page loses focus, and a blurred Textual app hides the footer's keys
        await self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                        mobile=False)  # fmt: skip
        await self.call("Emulation.setFocusEmulationEnabled", enabled=True)
        await self.call("Page.addScriptToEvaluateOnNewDocument", source=CATCH_TERMINAL)
        return self

    def _devtools_url(self) -> str:
        """The browser's DevTools websocket, from the line Chromium prints on stderr when it listens."""
        assert self.proc is not None and self.proc.stderr is not None
        lines: queue.Queue[str | None] = queue.Queue()
        stderr = self.proc.stderr

        def pump() -> None:
            for line in stderr:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        seen = []
        deadline = time.monotonic() + HANG_GUARD_S
        while time.monotonic() < deadline:
            line = lines.get(timeout=HANG_GUARD_S)
            if line is None:
                break
            seen.append(line)
            if match := re.search(r"DevTools listening on (ws://\S+)", line):
                return match.group(1)
        raise AssertionError("headless Chromium did not start: " + "".join(seen[-10:]))

    async def __aexit__(self, *exc) -> None:
        for close in (getattr(self, "_ws", None), getattr(self, "_http", None)):
            if close is not None:
                await close.close()
        if self.proc is not None:
            self.proc.terminate()
            try:
                await asyncio.to_thread(self.proc.wait, 30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._profile.cleanup()

    async def call(self, method: str, **params):
        """One DevTools command; its result (events arriving meanwhile are skipped)."""
        self._next_id += 1
        my_id = self._next_id
        await self._ws.send_json({"id": my_id, "method": method, "params": params})
        while True:
            message = await asyncio.wait_for(self._ws.receive(), HANG_GUARD_S)
            if message.data is None or not isinstance(message.data, str):
                raise AssertionError(f"DevTools connection closed during {method}")
            data = json.loads(message.data)
            if data.get("id") == my_id:
                if "error" in data:
                    raise AssertionError(f"{method}: {data['error']}")
                return data["result"]

    async def evaluate(self, expression: str):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def open(self, url: str) -> None:
        await self.call("Page.navigate", url=url)

    async def terminal_text(self) -> str | None:
        """The terminal's lines as text (None until the page has made its terminal)."""
        return await self.evaluate(READ_BUFFER)

    async def wait_for_text(self, predicate, what: str, timeout: float = HANG_GUARD_S) -> str:
        """Poll the terminal until ``predicate(text)`` holds; a hang fails with what it showed last."""
        deadline = time.monotonic() + timeout
        text = None
        while not (text and predicate(text)):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:g}s waiting for {what}; the terminal shows:\n{text}")
            await asyncio.sleep(0.2)
            text = await self.terminal_text()
        return text

    async def type(self, keys: str) -> None:
        """Send keys as typing in the page does (xterm's onData -> the websocket -> the app's stdin)."""
        await self.evaluate(f"window.__cganTerminal.input({json.dumps(keys)})")

    async def screenshot(self, path: Path) -> Path:
        result = await self.call("Page.captureScreenshot", format="png")
        Path(path).write_bytes(base64.b64decode(result["data"]))
        return Path(path)


async def _shoot(url: str, out: Path, width: int, height: int) -> None:
    async with Browser(width, height) as browser:
        await browser.open(url)
        await browser.wait_for_text(lambda t: "completed" in t and "opening database" not in t, "the results table")
        await browser.evaluate("window.__cganTerminal.focus()")
        await asyncio.sleep(1.0)  # a tool, not a test: let the last frame land before the picture
        await browser.screenshot(out)


if __name__ == "__main__":
    args = sys.argv[1:]
    size = (int(args[2]), int(args[3])) if len(args) >= 4 else (1100, 700)
    asyncio.run(_shoot(args[0], Path(args[1]), *size))
    print(args[1])

#!/usr/bin/python3
"""Drive a headless Chromium through the DevTools protocol (Debian's
python3-websocket), for t_browser: one step per line on standard input,

  goto URL              open URL and wait for it to load
  fill SELECTOR VALUE   set an input's value
  click SELECTOR        click, and wait for the page it loads
  text                  print the page's visible text
  html                  print the page's HTML
  url                   print the page's address
  cookies               print the cookies, name flags per line
  screenshot FILE       save a PNG of the whole page

browser.py DEVTOOLS_PORT < steps. Output blocks start with "== STEP".
The browser is started (and stopped) by the test, by PID.
"""
import base64
import json
import sys
import time
import urllib.request

import websocket


class Page:
    def __init__(self, port):
        for _ in range(100):
            try:
                targets = json.load(urllib.request.urlopen(
                    "http://127.0.0.1:%d/json/list" % port, timeout=1))
                pages = [t for t in targets if t.get("type") == "page"]
                if pages:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            sys.exit("no page target on port %d" % port)
        self.ws = websocket.create_connection(
            pages[0]["webSocketDebuggerUrl"], timeout=20)
        self.next_id = 0
        self.events = []
        self.call("Page.enable")
        self.call("Network.enable")

    def call(self, method, **params):
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method,
                                 "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == mid:
                if "error" in msg:
                    sys.exit("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            self.events.append(msg)

    def wait_load(self):
        deadline = time.time() + 20
        while time.time() < deadline:
            for e in self.events:
                if e.get("method") == "Page.loadEventFired":
                    self.events = []
                    return
            self.events = []
            msg = json.loads(self.ws.recv())
            if msg.get("method") == "Page.loadEventFired":
                return
        sys.exit("the page did not load")

    def js(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True,
                      awaitPromise=True)
        if "exceptionDetails" in r:
            sys.exit("script failed: %s" % r["exceptionDetails"])
        return r.get("result", {}).get("value")


def main():
    page = Page(int(sys.argv[1]))
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        cmd, _, rest = line.partition(" ")
        print("== " + line, flush=True)
        if cmd == "goto":
            page.events = []
            page.call("Page.navigate", url=rest)
            page.wait_load()
        elif cmd == "fill":
            sel, _, value = rest.partition(" ")
            ok = page.js("(function(){var e=document.querySelector(%s);"
                         "if(!e)return false;e.value=%s;return true})()"
                         % (json.dumps(sel), json.dumps(value)))
            if not ok:
                sys.exit("no element " + sel)
        elif cmd == "click":
            page.events = []
            ok = page.js("(function(){var e=document.querySelector(%s);"
                         "if(!e)return false;e.click();return true})()"
                         % json.dumps(rest))
            if not ok:
                sys.exit("no element " + rest)
            page.wait_load()
        elif cmd == "text":
            print(page.js("document.body.innerText"))
        elif cmd == "html":
            print(page.js("document.documentElement.outerHTML"))
        elif cmd == "url":
            print(page.js("location.href"))
        elif cmd == "cookies":
            for c in page.call("Network.getAllCookies")["cookies"]:
                print(c["name"], "httpOnly=%s" % c["httpOnly"],
                      "sameSite=%s" % c.get("sameSite"))
        elif cmd == "screenshot":
            h = page.js("document.documentElement.scrollHeight") or 800
            page.call("Emulation.setDeviceMetricsOverride", width=1280,
                      height=int(h), deviceScaleFactor=1, mobile=False)
            shot = page.call("Page.captureScreenshot", format="png")
            with open(rest, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        else:
            sys.exit("unknown step " + cmd)
    page.ws.close()


if __name__ == "__main__":
    main()

// t/e2e/steps.mjs -- what the end-to-end scripts share: numbered TAP-like
// step lines ("ok N - name" / "not ok N - name # reason") that the Perl
// wrappers re-emit, step runners, waiting, and a quiet SDK logger.

let n = 0;
let failed = 0;

// Clients to stop before exiting (scripts push theirs here).
export const clients = [];

export function describe(e) {
    if (e && e.errcode) return `HTTP ${e.httpStatus} ${e.errcode}: ${e.data?.error ?? e.message}`;
    return e && e.message ? e.message : String(e);
}

export function say(ok, name, reason) {
    n += 1;
    const why = reason ? ` # ${String(reason).replace(/\s+/g, " ")}` : "";
    console.log(`${ok ? "ok" : "not ok"} ${n} - ${name}${ok ? "" : why}`);
    if (!ok) failed += 1;
}

export function finish() {
    for (const c of clients) {
        try { c.stopClient(); } catch { /* exiting anyway */ }
    }
    console.log(`# ${n} steps, ${failed} failed`);
    process.exit(failed ? 1 : 0);
}

// Run one step.  A thrown error or a false / {ok: false} result fails it;
// with {fatal: true} a failure ends the run.  Returns the step's result
// (undefined when it failed).
export async function step(name, fn, { fatal = false } = {}) {
    let r;
    try {
        r = await fn();
    } catch (e) {
        say(false, name, describe(e));
        if (fatal) finish();
        return undefined;
    }
    if (r === false || (r && r.ok === false)) {
        say(false, name, r && r.why ? r.why : "check failed");
        if (fatal) finish();
        return undefined;
    }
    say(true, name);
    return r;
}

export const expect = (cond, why) => (cond ? { ok: true } : { ok: false, why });
export const js = (v) => JSON.stringify(v);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Poll pred() (may be async) every 50 ms until it gives something truthy
// (returned), or throw after ms with what() (a string or a function).
export async function waitFor(what, pred, ms = 20000) {
    const t0 = Date.now();
    for (;;) {
        const v = await pred();
        if (v) return v;
        if (Date.now() - t0 > ms) {
            throw new Error(`timed out after ${ms} ms waiting for ${typeof what === "function" ? what() : what}`);
        }
        await sleep(50);
    }
}

// An SDK logger that keeps warnings and errors (one line each) and drops the rest.
const oneLine = (a) => a.map((x) => (x && x.errcode ? describe(x) : x && x.message ? x.message : x));
export const quiet = {
    trace() {}, debug() {}, info() {},
    warn: (...a) => console.error("sdk warn:", ...oneLine(a)),
    error: (...a) => console.error("sdk error:", ...oneLine(a)),
    getChild() { return quiet; },
};

// accounts.mjs -- an unmodified matrix-js-sdk against a Syncro node:
// register (user-interactive auth with m.login.dummy), password login,
// whoami, display name, logout.
//
//   node accounts.mjs http://127.0.0.1:PORT
//
// Prints "ok N - name" / "not ok N - name # reason" lines (run by
// 20-accounts.t, which turns them into Test::More results) and exits 1 if
// any step failed.  A step that fails stops the run: later steps depend on it.
import { createClient } from "matrix-js-sdk";
import { describe, expect, finish, quiet, step } from "./steps.mjs";

const baseUrl = process.argv[2];
if (!baseUrl) {
    console.error("usage: node accounts.mjs BASE_URL");
    process.exit(2);
}

// The SDK logs every request at debug level; keep stdout for results.
// Every step here is needed by the next: a failure ends the run.
const must = (name, fn) => step(name, fn, { fatal: true });

const username = `e2e${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;
const password = "correct horse battery staple";
const displayName = "E2E Tëst ☃";

const anon = createClient({ baseUrl, logger: quiet });

await must("GET /versions lists a spec version", async () => {
    const v = await anon.getVersions();
    return expect(Array.isArray(v.versions) && v.versions.length > 0,
        `versions: ${JSON.stringify(v)}`);
});

let session;
await must("register without auth answers 401 with a session offering m.login.dummy", async () => {
    try {
        await anon.registerRequest({ username, password });
    } catch (e) {
        if (e.httpStatus !== 401) throw e;
        session = e.data?.session;
        const flows = e.data?.flows ?? [];
        const dummy = flows.some((f) => f.stages?.length === 1 && f.stages[0] === "m.login.dummy");
        return expect(typeof session === "string" && dummy, `401 body: ${JSON.stringify(e.data)}`);
    }
    return expect(false, "register succeeded without user-interactive auth");
});

let reg;
await must("register completes with m.login.dummy", async () => {
    reg = await anon.registerRequest({
        username,
        password,
        auth: { type: "m.login.dummy", session },
    });
    return expect(typeof reg.user_id === "string" && reg.user_id.startsWith(`@${username}:`)
        && typeof reg.access_token === "string" && typeof reg.device_id === "string",
    `response: ${JSON.stringify(reg)}`);
});
const userId = reg.user_id;

let login;
await must("login with m.login.password and an m.id.user identifier", async () => {
    login = await anon.loginRequest({
        type: "m.login.password",
        identifier: { type: "m.id.user", user: username },
        password,
        initial_device_display_name: "syncro e2e",
    });
    return expect(login.user_id === userId && typeof login.access_token === "string"
        && login.access_token !== reg.access_token && typeof login.device_id === "string",
    `response: ${JSON.stringify({ ...login, access_token: login.access_token ? "(set)" : undefined })}`);
});

const client = createClient({
    baseUrl,
    userId,
    accessToken: login.access_token,
    deviceId: login.device_id,
    logger: quiet,
});

await must("whoami returns the logged-in user and device", async () => {
    const w = await client.whoami();
    return expect(w.user_id === userId && (w.device_id === undefined || w.device_id === login.device_id),
        `whoami: ${JSON.stringify(w)}`);
});

await must("setDisplayName", async () => {
    await client.setDisplayName(displayName);
});

await must("getProfileInfo reads the display name back", async () => {
    const p = await client.getProfileInfo(userId);
    return expect(p.displayname === displayName, `profile: ${JSON.stringify(p)}`);
});

await must("logout", async () => {
    await client.logout();
});

await must("whoami after logout fails with 401 M_UNKNOWN_TOKEN", async () => {
    try {
        const w = await client.whoami();
        return expect(false, `whoami still works: ${JSON.stringify(w)}`);
    } catch (e) {
        return expect(e.httpStatus === 401 && e.errcode === "M_UNKNOWN_TOKEN", describe(e));
    }
});

await must("the registration token still works", async () => {
    const other = createClient({ baseUrl, userId, accessToken: reg.access_token, logger: quiet });
    const w = await other.whoami();
    return expect(w.user_id === userId, `whoami: ${JSON.stringify(w)}`);
});

finish();

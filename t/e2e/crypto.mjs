// crypto.mjs -- end-to-end encryption through an unmodified matrix-js-sdk
// with its Rust crypto (WASM, in-memory store: initRustCrypto({useIndexedDB:
// false})) against a Syncro node.  alice and bob each run a real sync loop
// on a device of their own; alice creates a room with m.room.encryption and
// invites bob; alice's message goes out as Megolm ciphertext after her device
// fetched bob's keys (/keys/query), claimed a one-time key (/keys/claim) and
// sent him the room key as an Olm to-device message (/sendToDevice -> his
// /sync to_device); bob decrypts it; then the other way round.  A to-device
// message whose /sync response is lost on the way (the fetchFn throws) must
// come again: only the next since token acknowledges it.  Then bob
// logs in a second device: alice's /sync names him in device_lists.changed,
// her device list for him grows, and her next message is decrypted on both
// of bob's devices.
//
//   node crypto.mjs http://127.0.0.1:PORT SERVER_NAME
//
// Prints "ok N - name" / "not ok N - name # reason" lines and exits 1 if any
// step failed.  Other lines for 50-crypto.t:
//   SKIP <reason>                    the Rust crypto cannot run here (exit 0)
//   DB-CHECK <event_id> <plaintext>  this encrypted event's plaintext must not be in the DB
//   DB-CONTROL <event_id> <text>     an unencrypted control event: its text must be in the DB
import {
    ClientEvent, createClient, RoomEvent, SyncState,
} from "matrix-js-sdk";
import { logger as sdkLogger } from "matrix-js-sdk/lib/logger.js";
import { clients, describe, expect, finish, js, quiet, say, sleep, step, waitFor } from "./steps.mjs";

const baseUrl = process.argv[2];
const serverName = process.argv[3];
if (!baseUrl || !serverName) {
    console.error("usage: node crypto.mjs BASE_URL SERVER_NAME");
    process.exit(2);
}

sdkLogger.setLevel("error", false);
// The Rust crypto traces at debug level through console.debug/info.
console.debug = () => {};
console.info = () => {};

// --- can the Rust crypto run here at all? ------------------------------------

try {
    const wasm = await import("@matrix-org/matrix-sdk-crypto-wasm");
    await wasm.initAsync?.();
    const m = await wasm.OlmMachine.initialize(new wasm.UserId("@probe:localhost"), new wasm.DeviceId("PROBE"));
    if (!m.identityKeys?.ed25519?.toBase64()) throw new Error("OlmMachine has no identity keys");
    m.free?.();
} catch (e) {
    console.log(`SKIP matrix-sdk-crypto-wasm cannot run here: ${String(e?.message ?? e).replace(/\s+/g, " ")}`);
    process.exit(0);
}

// Requests (method path status) and /sync bodies, seen through fetchFn.
// With drop.type set, the first /sync response carrying a to-device event
// of that type is "lost": the server sent it, the client gets a network
// error instead (and its sync loop retries with the same since token).
function watchingFetch(log, drop) {
    return async (input, init) => {
        const url = String(input?.url ?? input);
        const res = await fetch(input, init);
        const path = new URL(url).pathname;
        const entry = { method: init?.method ?? "GET", path, status: res.status, at: Date.now() };
        if (/\/_matrix\/client\/v3\/sync$/.test(path) && res.ok) {
            try { entry.body = await res.clone().json(); } catch { /* not JSON: the SDK will say */ }
        }
        log.push(entry);
        if (drop?.type && !drop.dropped && entry.body?.to_device?.events?.some((e) => e.type === drop.type)) {
            drop.dropped = (drop.dropped ?? 0) + 1;
            entry.dropped = true;
            throw new TypeError("fetch failed (simulated: the /sync response was lost)");
        }
        return res;
    };
}

const tag = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;
const password = "correct horse battery staple";

async function register(name, log, drop) {
    const anon = createClient({ baseUrl, logger: quiet });
    let session;
    try {
        await anon.registerRequest({ username: name, password });
        throw new Error("register succeeded without user-interactive auth");
    } catch (e) {
        if (e.httpStatus !== 401) throw e;
        session = e.data?.session;
    }
    const reg = await anon.registerRequest({
        username: name, password, auth: { type: "m.login.dummy", session },
        initial_device_display_name: `${name}'s e2e device`,
    });
    if (!reg.access_token || !reg.user_id?.startsWith(`@${name}:`) || !reg.device_id) {
        throw new Error(`register response: ${js(reg)}`);
    }
    const c = createClient({
        baseUrl, userId: reg.user_id, accessToken: reg.access_token,
        deviceId: reg.device_id, logger: quiet, fetchFn: watchingFetch(log, drop),
    });
    clients.push(c);
    return c;
}

function trackSync(client, label) {
    const states = [];
    client.on(ClientEvent.Sync, (state, prev, data) => {
        states.push(state);
        if (state === SyncState.Error) console.error(`# ${label} sync error: ${describe(data?.error)}`);
    });
    return states;
}
const ready = (states) => states.includes(SyncState.Prepared) || states.includes(SyncState.Syncing);
const calls = (log, re, method) => log.filter((e) => re.test(e.path) && (!method || e.method === method));

const aliceLog = [];
const bobLog = [];
const alice = await step("register alice", () => register(`alice${tag}`, aliceLog), { fatal: true });
const bobDrop = {};
const bob = await step("register bob", () => register(`bob${tag}`, bobLog, bobDrop), { fatal: true });
const aliceId = alice.getUserId();
const bobId = bob.getUserId();
const aliceDev = alice.getDeviceId();
const bobDev = bob.getDeviceId();

await step("initRustCrypto (in-memory store) on both devices", async () => {
    await alice.initRustCrypto({ useIndexedDB: false });
    await bob.initRustCrypto({ useIndexedDB: false });
    return expect(alice.getCrypto() && bob.getCrypto(), "getCrypto() is undefined");
}, { fatal: true });

let roomId;
const bobEvents = []; // MatrixEvents bob's live timeline got in the room
bob.on(RoomEvent.Timeline, (ev, room, toStart, removed, data) => {
    if (room?.roomId === roomId && !toStart && !removed && data?.liveEvent) bobEvents.push(ev);
});
const aliceEvents = [];
alice.on(RoomEvent.Timeline, (ev, room, toStart, removed, data) => {
    if (room?.roomId === roomId && !toStart && !removed && data?.liveEvent) aliceEvents.push(ev);
});

const aliceStates = trackSync(alice, "alice");
const bobStates = trackSync(bob, "bob");

await step("both sync loops start (startClient) and reach PREPARED", async () => {
    await alice.startClient({ initialSyncLimit: 10 });
    await bob.startClient({ initialSyncLimit: 10 });
    await waitFor(() => `PREPARED (alice ${js(aliceStates)}, bob ${js(bobStates)})`,
        () => ready(aliceStates) && ready(bobStates), 30000);
}, { fatal: true });

await step("each device uploaded its identity keys and one-time keys (/keys/upload)", async () => {
    await waitFor(() => `successful /keys/upload from both (alice ${js(calls(aliceLog, /keys\/upload$/))}, `
        + `bob ${js(calls(bobLog, /keys\/upload$/))})`,
    () => calls(aliceLog, /keys\/upload$/).some((e) => e.status === 200)
        && calls(bobLog, /keys\/upload$/).some((e) => e.status === 200), 20000);
});

await step("alice downloads bob's device keys (getUserDeviceInfo -> /keys/query)", async () => {
    const map = await alice.getCrypto().getUserDeviceInfo([bobId], true);
    const dev = map.get(bobId)?.get(bobDev);
    const own = await bob.getCrypto().getOwnDeviceKeys();
    return expect(dev && dev.getIdentityKey() === own.curve25519 && dev.getFingerprint() === own.ed25519
        && dev.algorithms.includes("m.megolm.v1.aes-sha2"),
    `bob's devices as alice sees them: ${js([...(map.get(bobId)?.keys() ?? [])])}; device ${js(dev)}`);
});

await step("bob downloads alice's device keys", async () => {
    const map = await bob.getCrypto().getUserDeviceInfo([aliceId], true);
    const dev = map.get(aliceId)?.get(aliceDev);
    const own = await alice.getCrypto().getOwnDeviceKeys();
    return expect(dev && dev.getIdentityKey() === own.curve25519 && dev.displayName === `alice${tag}'s e2e device`,
        `device ${js(dev)}`);
});

// --- an encrypted room -------------------------------------------------------

roomId = (await step("alice creates a private room with m.room.encryption (megolm) in initial_state", async () => {
    const r = await alice.createRoom({
        name: "E2EE room", preset: "private_chat",
        initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }],
    });
    return typeof r.room_id === "string" ? r : expect(false, js(r));
}, { fatal: true })).room_id;

await step("alice's client sees the room as encrypted", () =>
    waitFor("isEncryptionEnabledInRoom", () => alice.getRoom(roomId) && alice.getCrypto().isEncryptionEnabledInRoom(roomId),
        35000));

await step("alice invites bob; bob's sync loop delivers the invite; bob joins", async () => {
    await alice.invite(roomId, bobId);
    await waitFor("the invite in bob's client", () => bob.getRoom(roomId)?.getMyMembership() === "invite");
    await bob.joinRoom(roomId);
    await waitFor("bob joined in bob's client", () => bob.getRoom(roomId)?.getMyMembership() === "join");
}, { fatal: true });

await step("alice's client sees bob joined", () =>
    waitFor("bob's join in alice's client", () => alice.getRoom(roomId)?.getMember(bobId)?.membership === "join",
        35000), { fatal: true });

await step("bob's client sees the room as encrypted", () =>
    waitFor("isEncryptionEnabledInRoom", () => bob.getCrypto().isEncryptionEnabledInRoom(roomId)));

const secret = `the server must not read this ${tag} ☃`;
let secretId;
await step("alice sends a message; it goes out as m.room.encrypted", async () => {
    const r = await alice.sendMessage(roomId, { msgtype: "m.text", body: secret });
    secretId = r.event_id;
    const sends = calls(aliceLog, /\/rooms\/[^/]+\/send\/[^/]+\/[^/]+$/, "PUT");
    const types = sends.map((e) => decodeURIComponent(e.path.split("/send/")[1].split("/")[0]));
    return expect(typeof secretId === "string" && types.length > 0 && types.every((t) => t === "m.room.encrypted"),
        `event ${secretId}, sent as ${js(types)}`);
}, { fatal: true });

await step("alice's device claimed one of bob's one-time keys and sent him the room key (to-device)", () => {
    const claim = calls(aliceLog, /\/keys\/claim$/, "POST");
    const todev = calls(aliceLog, /\/sendToDevice\/m\.room\.encrypted\/[^/]+$/, "PUT");
    return expect(claim.some((e) => e.status === 200) && todev.some((e) => e.status === 200),
        `claim ${js(claim)}, sendToDevice ${js(todev)}`);
});

await step("bob's /sync carried alice's Olm-encrypted to-device message", async () => {
    const ev = await waitFor("an m.room.encrypted to-device event from alice in bob's /sync",
        () => bobLog.flatMap((e) => e.body?.to_device?.events ?? [])
            .find((e) => e.type === "m.room.encrypted" && e.sender === aliceId), 20000);
    return expect(ev.content?.algorithm === "m.olm.v1.curve25519-aes-sha2" && ev.content?.ciphertext
        && typeof ev.content.sender_key === "string", js(ev));
});

await step("bob's /sync responses count his one-time keys (device_one_time_keys_count)", async () => {
    const c = await waitFor(() => "a non-zero signed_curve25519 count in bob's /sync",
        () => bobLog.map((e) => e.body?.device_one_time_keys_count?.signed_curve25519).find((x) => x > 0), 20000);
    return expect(c > 0, `count ${c}`);
});

await step("bob decrypts alice's message (getClearContent)", async () => {
    const ev = await waitFor(() => `the event in bob's timeline (${bobEvents.length} events)`,
        () => bobEvents.find((e) => e.getId() === secretId), 20000);
    await waitFor(() => `decryption (failure: ${ev.decryptionFailureReason ?? "none"})`,
        () => ev.getClearContent()?.body !== undefined && !ev.isDecryptionFailure(), 20000);
    const c = ev.getClearContent();
    return expect(ev.isEncrypted() && ev.getWireType() === "m.room.encrypted" && ev.getType() === "m.room.message"
        && c.body === secret && c.msgtype === "m.text" && ev.getSender() === aliceId,
    `wire ${ev.getWireType()}, clear ${js(c)}`);
});

await step("bob's view of the event: Megolm ciphertext on the wire, known to his crypto", async () => {
    const ev = bobEvents.find((e) => e.getId() === secretId);
    const w = ev.getWireContent();
    const info = await bob.getCrypto().getEncryptionInfoForEvent(ev);
    return expect(w.algorithm === "m.megolm.v1.aes-sha2" && typeof w.ciphertext === "string"
        && w.ciphertext.length > 0 && typeof w.session_id === "string" && !js(w).includes(secret)
        && info !== null && typeof info.shieldColour === "number",
    `wire ${js(w)}, encryption info ${js(info)}`);
});

const reply = `bob answers in secret ${tag}`;
let replyId;
await step("bob replies encrypted; alice decrypts it", async () => {
    const r = await bob.sendMessage(roomId, { msgtype: "m.text", body: reply });
    replyId = r.event_id;
    const ev = await waitFor("bob's reply in alice's timeline",
        () => aliceEvents.find((e) => e.getId() === replyId && !e.status), 20000);
    await waitFor(() => `decryption (failure: ${ev.decryptionFailureReason ?? "none"})`,
        () => ev.getClearContent()?.body !== undefined && !ev.isDecryptionFailure(), 20000);
    return expect(ev.getWireType() === "m.room.encrypted" && ev.getClearContent().body === reply,
        `wire ${ev.getWireType()}, clear ${js(ev.getClearContent())}`);
});

// --- to-device delivery survives a lost response ----------------------------

await step("a to-device message whose /sync response never reached bob comes again (acknowledged by since only)",
    async () => {
        const type = `org.syncro.e2e.ping.${tag}`;
        const got = [];
        bob.on(ClientEvent.ToDeviceEvent, (ev) => {
            if (ev.getType() === type) got.push(ev.getContent());
        });
        bobDrop.type = type;
        await alice.sendToDevice(type, new Map([[bobId, new Map([[bobDev, { n: tag }]])]]));
        await waitFor(() => `the message at bob's client (responses dropped: ${bobDrop.dropped ?? 0})`,
            () => got.length > 0, 30000);
        await sleep(500);
        const onWire = bobLog.filter((e) => e.body?.to_device?.events?.some((t) => t.type === type));
        return expect(bobDrop.dropped === 1 && onWire.length === 2 && onWire[0].dropped && got.length === 1
            && got[0].n === tag,
        `dropped ${bobDrop.dropped}, in ${onWire.length} responses, received ${js(got)}`);
    });

// --- a new device: device list updates ----------------------------------------

const bob2Log = [];
let bob2;
const bob2Events = [];
let loginAt = 0;
await step("bob logs in a second device with Rust crypto; it syncs and uploads its keys", async () => {
    const anon = createClient({ baseUrl, logger: quiet });
    loginAt = Date.now();
    const login = await anon.loginRequest({
        type: "m.login.password", identifier: { type: "m.id.user", user: `bob${tag}` }, password,
        initial_device_display_name: "bob's second device",
    });
    bob2 = createClient({
        baseUrl, userId: login.user_id, accessToken: login.access_token, deviceId: login.device_id,
        logger: quiet, fetchFn: watchingFetch(bob2Log),
    });
    clients.push(bob2);
    bob2.on(RoomEvent.Timeline, (ev, room, toStart, removed, data) => {
        if (room?.roomId === roomId && !toStart && !removed && data?.liveEvent) bob2Events.push(ev);
    });
    await bob2.initRustCrypto({ useIndexedDB: false });
    const states = trackSync(bob2, "bob2");
    await bob2.startClient({ initialSyncLimit: 10 });
    await waitFor(() => `PREPARED (${js(states)})`, () => ready(states), 30000);
    await waitFor("bob2's /keys/upload", () => calls(bob2Log, /keys\/upload$/).some((e) => e.status === 200));
}, { fatal: true });

await step("alice's /sync lists bob in device_lists.changed", async () => {
    await waitFor(() => "bob in device_lists.changed of an alice /sync answered after the login",
        () => aliceLog.some((e) => e.at > loginAt && e.body?.device_lists?.changed?.includes(bobId)), 20000);
});

await step("alice's device list for bob now has both devices", async () => {
    const map = await waitFor("bob's second device in alice's device list", async () => {
        const m = await alice.getCrypto().getUserDeviceInfo([bobId]);
        return m.get(bobId)?.has(bob2.getDeviceId()) ? m : null;
    }, 20000);
    const devs = [...map.get(bobId).keys()].sort();
    return expect(devs.length === 2 && devs.includes(bobDev), js(devs));
});

const third = `for both of bob's devices ${tag}`;
await step("alice sends again; bob's new device decrypts it", async () => {
    const r = await alice.sendMessage(roomId, { msgtype: "m.text", body: third });
    const ev = await waitFor(() => `the event in bob2's timeline (${bob2Events.length} events)`,
        () => bob2Events.find((e) => e.getId() === r.event_id), 20000);
    await waitFor(() => `decryption on bob2 (failure: ${ev.decryptionFailureReason ?? "none"})`,
        () => ev.getClearContent()?.body !== undefined && !ev.isDecryptionFailure(), 20000);
    console.log(`DB-CHECK ${r.event_id} ${third}`);
    const to2 = bob2Log.flatMap((e) => e.body?.to_device?.events ?? [])
        .filter((e) => e.type === "m.room.encrypted" && e.sender === aliceId);
    return expect(ev.getWireType() === "m.room.encrypted" && ev.getClearContent().body === third
        && to2.length > 0, `clear ${js(ev.getClearContent())}, olm to-device messages from alice: ${to2.length}`);
});

await step("bob's first device decrypts it too", async () => {
    const ev = await waitFor("the event in bob's timeline",
        () => bobEvents.find((e) => e.getClearContent()?.body === third), 20000);
    return expect(ev.getWireType() === "m.room.encrypted", ev.getWireType());
});

await step("GET /event as bob returns ciphertext only (the server has nothing else)", async () => {
    const raw = await bob.fetchRoomEvent(roomId, secretId);
    return expect(raw.type === "m.room.encrypted" && raw.content?.algorithm === "m.megolm.v1.aes-sha2"
        && !JSON.stringify(raw).includes(secret), js(raw));
});

if (secretId) console.log(`DB-CHECK ${secretId} ${secret}`);
if (replyId) console.log(`DB-CHECK ${replyId} ${reply}`);

// A positive control for the database check: plaintext in an unencrypted
// room is stored as such, so the search for plaintext can find things.
await step("control: a plaintext message in an unencrypted room", async () => {
    const r = await alice.createRoom({ name: "plain", preset: "private_chat" });
    const text = `plaintext control ${tag}`;
    const s = await alice.sendEvent(r.room_id, "m.room.message", { msgtype: "m.text", body: text });
    console.log(`DB-CONTROL ${s.event_id} ${text}`);
    const ev = await alice.fetchRoomEvent(r.room_id, s.event_id);
    return expect(ev.type === "m.room.message" && ev.content?.body === text, js(ev));
});

finish();

// sync.mjs -- an unmodified matrix-js-sdk running its real sync loop
// (client.startClient) against a Syncro node.  Two users, alice and bob, both
// syncing: alice creates a room and invites bob, bob joins once the invite
// reaches him through /sync; typing notifications; alice sends 200 messages
// and bob's live timeline receives every one of them, in order, once -- with
// syncrod restarted after the first 100 (bob resumes from his sync token);
// a read receipt; bob paginates back to m.room.create; a second device of
// bob's pages through the whole history from a short initial sync, then
// stalls (its /sync held back) for 30 more messages and must get a limited
// timeline whose prev_batch pages back over exactly the skipped events.
//
//   node sync.mjs http://127.0.0.1:PORT SERVER_NAME
//
// Control channel (40-sync.t drives it): after the first 100 messages have
// reached bob, the script prints the line "RESTART-NOW" and waits for a line
// "RESTARTED" on stdin (the wrapper restarts syncrod in between).  Run by
// hand, type RESTARTED (or restart the server, then type it).
//
// Prints "ok N - name" / "not ok N - name # reason" lines and exits 1 if
// any step failed.  Most steps go on after a failure; a step marked fatal
// (one whose result later steps need) stops the run.
import readline from "node:readline";
import {
    ClientEvent, createClient, Direction, Filter, RoomEvent, RoomMemberEvent, SyncState,
} from "matrix-js-sdk";
import { logger as sdkLogger } from "matrix-js-sdk/lib/logger.js";
import { clients, describe, expect, finish, js, quiet, say, sleep, step, waitFor } from "./steps.mjs";

const baseUrl = process.argv[2];
const serverName = process.argv[3];
if (!baseUrl || !serverName) {
    console.error("usage: node sync.mjs BASE_URL SERVER_NAME");
    process.exit(2);
}

const TOTAL = 200;          // messages alice sends
const RESTART_AFTER = 100;  // ... syncrod is restarted after this many
// bob's stored sync filter: room.timeline.limit 100 (the most the server's
// filters allow, SY_FILTER_TIMELINE_MAX in src/sync/filter.h), so that the
// 100 messages sent while bob reconnects after the restart fit in one /sync
// without a gap (limited: true).
const BOB_TIMELINE_LIMIT = 100;

sdkLogger.setLevel("error", false);

// --- the control channel -----------------------------------------------------

const stdinLines = [];
readline.createInterface({ input: process.stdin }).on("line", (l) => stdinLines.push(l.trim()));

// --- raw /sync responses -----------------------------------------------------

// Every /sync response a client gets, seen through its fetchFn before the SDK
// processes it: the SDK drops duplicate event IDs silently, so "the server
// sent nothing twice" is checked on the wire.
//
// A gate, when given and closed, holds /sync requests back until it opens:
// the client is "offline" while its sync loop keeps its since token.
function watchingFetch(log, requests, gate) {
    return async (input, init) => {
        const url = String(input?.url ?? input);
        const isSync = /\/_matrix\/client\/v3\/sync(\?|$)/.test(url);
        if (isSync && requests) requests.push(url);
        if (isSync && gate?.closed) await new Promise((resolve) => gate.waiters.push(resolve));
        const res = await fetch(input, init);
        if (/\/_matrix\/client\/v3\/sync(\?|$)/.test(url) && res.ok) {
            try {
                const body = await res.clone().json();
                log.push({ url, body, at: Date.now() });
            } catch (e) {
                log.push({ url, error: String(e), at: Date.now() });
            }
        }
        return res;
    };
}

const tag = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;
const password = "correct horse battery staple";

// Register through the SDK's user-interactive auth (m.login.dummy).
async function register(name, extra = {}) {
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
    });
    if (!reg.access_token || !reg.user_id?.startsWith(`@${name}:`)) {
        throw new Error(`register response: ${js(reg)}`);
    }
    const c = createClient({
        baseUrl, userId: reg.user_id, accessToken: reg.access_token,
        deviceId: reg.device_id, logger: quiet, ...extra,
    });
    clients.push(c);
    return c;
}

// Sync states a client went through, and a promise for reaching one.
function trackSync(client, label) {
    const states = [];
    client.on(ClientEvent.Sync, (state, prev, data) => {
        states.push(state);
        if (state === SyncState.Error) {
            console.error(`# ${label} sync error: ${describe(data?.error)}`);
        }
    });
    return states;
}

const ready = (states) => states.includes(SyncState.Prepared) || states.includes(SyncState.Syncing);

const aliceRaw = [];
const bobRaw = [];
const bobSyncUrls = []; // every /sync request bob issued, when issued
const alice = await step("register alice", () => register(`alice${tag}`, { fetchFn: watchingFetch(aliceRaw) }),
    { fatal: true });
const bob = await step("register bob", () => register(`bob${tag}`, { fetchFn: watchingFetch(bobRaw, bobSyncUrls) }),
    { fatal: true });
const aliceId = alice.getUserId();
const bobId = bob.getUserId();

// --- bob's listeners (installed before his sync loop starts) ----------------

let roomId;               // set once alice has created the room
const bobLive = [];       // {id, body, sender} of m.room.message events, as emitted live
let bobResets = 0;        // RoomEvent.TimelineReset in the room (a gap: limited sync)
const bobTyping = [];     // {user, typing} from RoomMemberEvent.Typing
const bobReceipts = [];   // receipt event contents from RoomEvent.Receipt
const bobInvites = [];    // room IDs bob saw himself invited to

bob.on(RoomEvent.MyMembership, (room, membership) => {
    if (membership === "invite") bobInvites.push(room.roomId);
});
bob.on(RoomEvent.Timeline, (event, room, toStartOfTimeline, removed, data) => {
    if (!room || room.roomId !== roomId || toStartOfTimeline || removed || !data?.liveEvent) return;
    if (event.getType() !== "m.room.message") return;
    bobLive.push({ id: event.getId(), body: event.getContent().body, sender: event.getSender() });
});
bob.on(RoomEvent.TimelineReset, (room) => {
    if (room && room.roomId === roomId) bobResets += 1;
});
bob.on(RoomMemberEvent.Typing, (event, member) => {
    if (member.roomId === roomId) bobTyping.push({ user: member.userId, typing: member.typing });
});
bob.on(RoomEvent.Receipt, (event, room) => {
    if (room.roomId === roomId) bobReceipts.push(event.getContent());
});

const aliceStates = trackSync(alice, "alice");
const bobStates = trackSync(bob, "bob");

// --- start both sync loops ---------------------------------------------------

await step("alice's startClient reaches PREPARED (push rules, filter, initial /sync)", async () => {
    await alice.startClient({ initialSyncLimit: 10 });
    await waitFor(() => `PREPARED (states: ${js(aliceStates)})`, () => ready(aliceStates), 30000);
}, { fatal: true });

await step(`bob's startClient with a stored filter (timeline limit ${BOB_TIMELINE_LIMIT}) reaches PREPARED`, async () => {
    const filter = new Filter(bobId);
    filter.setDefinition({ room: { timeline: { limit: BOB_TIMELINE_LIMIT } } });
    await bob.startClient({ initialSyncLimit: 10, filter });
    await waitFor(() => `PREPARED (states: ${js(bobStates)})`, () => ready(bobStates), 30000);
}, { fatal: true });

await step("bob's incremental /sync requests use the stored filter by ID; it reads back", async () => {
    const filterOf = (u) => new URL(u).searchParams.get("filter");
    const url = await waitFor(() => `an incremental /sync (requests: ${js(bobSyncUrls)})`,
        () => bobSyncUrls.find((u) => new URL(u).searchParams.get("since")), 10000);
    const fid = filterOf(url);
    if (!fid || fid.startsWith("{")) return expect(false, `filter=${fid}`);
    const f = await bob.getFilter(bobId, fid, false);
    return expect(f.getDefinition()?.room?.timeline?.limit === BOB_TIMELINE_LIMIT,
        `filter ${fid}: ${js(f.getDefinition())}`);
});

// --- room, invite through sync, join -----------------------------------------

roomId = (await step("alice creates a private room", async () => {
    const r = await alice.createRoom({ name: "Sync room", preset: "private_chat" });
    return typeof r.room_id === "string" && r.room_id.startsWith("!") ? r : expect(false, js(r));
}, { fatal: true })).room_id;

// Well before alice's 30 s long-poll would time out on its own.
await step("alice's sync loop delivers the new room with alice joined (the long-poll wakes)", () =>
    waitFor("the room in alice's client", () => alice.getRoom(roomId)?.getMyMembership() === "join", 10000));

await step("alice invites bob", () => alice.invite(roomId, bobId), { fatal: true });

await step("bob's sync loop delivers the invite (RoomEvent.MyMembership invite)", async () => {
    await waitFor(() => `the invite (bob's rooms: ${js(bob.getRooms().map((r) => [r.roomId, r.getMyMembership()]))})`,
        () => bobInvites.includes(roomId));
    const room = bob.getRoom(roomId);
    const inviter = room.currentState.getStateEvents("m.room.member", bobId)?.getSender();
    return expect(room.getMyMembership() === "invite" && inviter === aliceId && room.name === "Sync room",
        `membership ${room.getMyMembership()}, invite sent by ${inviter}, name ${js(room.name)}`);
}, { fatal: true });

await step("the invite arrived in rooms.invite of a raw /sync response, with stripped state", () => {
    const inv = bobRaw.map((r) => r.body?.rooms?.invite?.[roomId]).find(Boolean);
    const evs = inv?.invite_state?.events ?? [];
    const types = new Set(evs.map((e) => e.type));
    return expect(types.has("m.room.create") && types.has("m.room.member") && types.has("m.room.name")
        && evs.every((e) => typeof e.sender === "string" && typeof e.state_key === "string"),
    `invite: ${js(inv)}`);
});

await step("bob joins after seeing the invite (joinRoom)", async () => {
    const room = await bob.joinRoom(roomId);
    return expect(room?.roomId === roomId, `joinRoom returned ${room?.roomId}`);
}, { fatal: true });

await step("bob's sync loop moves the room to join", () =>
    waitFor(() => `join (membership ${bob.getRoom(roomId)?.getMyMembership()})`,
        () => bob.getRoom(roomId)?.getMyMembership() === "join"));

await step("alice's sync loop shows bob joined", () =>
    waitFor(() => `bob's membership in alice's client (${alice.getRoom(roomId)?.getMember(bobId)?.membership})`,
        () => alice.getRoom(roomId)?.getMember(bobId)?.membership === "join", 35000));

await step("bob's room has both members and alice's name for it", async () => {
    const room = bob.getRoom(roomId);
    const m = room.getJoinedMembers().map((x) => x.userId).sort();
    return expect(js(m) === js([aliceId, bobId].sort()) && room.name === "Sync room",
        `joined ${js(m)}, name ${js(room.name)}`);
});

// --- typing ------------------------------------------------------------------

await step("alice starts typing; bob gets RoomMemberEvent.Typing (typing true)", async () => {
    await alice.sendTyping(roomId, true, 30000);
    await waitFor(() => `typing true (seen ${js(bobTyping)})`,
        () => bobTyping.some((t) => t.user === aliceId && t.typing));
    return expect(bob.getRoom(roomId).getMember(aliceId)?.typing === true, "member.typing is not true");
});

await step("the typing notification came as m.typing ephemeral with alice in user_ids", () => {
    const eph = bobRaw.flatMap((r) => r.body?.rooms?.join?.[roomId]?.ephemeral?.events ?? []);
    const t = eph.filter((e) => e.type === "m.typing");
    return expect(t.some((e) => e.content?.user_ids?.includes(aliceId)), `ephemeral: ${js(eph)}`);
});

await step("alice stops typing; bob gets typing false", async () => {
    const before = bobTyping.length;
    await alice.sendTyping(roomId, false, 0);
    await waitFor(() => `typing false (seen ${js(bobTyping)})`,
        () => bobTyping.slice(before).some((t) => t.user === aliceId && !t.typing));
    return expect(bob.getRoom(roomId).getMember(aliceId)?.typing === false, "member.typing is still true");
});

await step("alice types with a 1 s timeout and never stops; bob sees it start, then expire", async () => {
    const before = bobTyping.length;
    await alice.sendTyping(roomId, true, 1000);
    const t0 = Date.now();
    await waitFor(() => `typing true (seen ${js(bobTyping.slice(before))})`,
        () => bobTyping.slice(before).some((t) => t.user === aliceId && t.typing));
    await waitFor(() => `typing false after the timeout (seen ${js(bobTyping.slice(before))})`,
        () => bobTyping.slice(before).some((t) => t.user === aliceId && !t.typing), 10000);
    const waited = Date.now() - t0;
    return expect(waited >= 800 && bob.getRoom(roomId).getMember(aliceId)?.typing === false,
        `typing stopped after ${waited} ms`);
});

// --- 200 messages, a restart after 100 ---------------------------------------

async function sendRange(from, to) {
    const ids = [];
    for (let i = from; i <= to; i++) {
        const r = await alice.sendMessage(roomId, { msgtype: "m.text", body: `msg ${i}` });
        ids.push(r.event_id);
    }
    return ids;
}

// bob's live messages from alice, checked against the event IDs alice got back.
function checkLive(sentIds, count) {
    const got = bobLive.filter((e) => e.sender === aliceId);
    const ids = got.map((e) => e.id);
    const distinct = new Set(ids);
    const problems = [];
    if (got.length !== count) problems.push(`${got.length} events, want ${count}`);
    if (distinct.size !== ids.length) problems.push(`${ids.length - distinct.size} duplicates`);
    for (let i = 0; i < Math.min(got.length, count); i++) {
        if (got[i].body !== `msg ${i + 1}` || got[i].id !== sentIds[i]) {
            problems.push(`position ${i}: ${js(got[i])}, want msg ${i + 1} ${sentIds[i]}`);
            break;
        }
    }
    return problems;
}

const sentIds = [];
await step(`alice sends messages 1..${RESTART_AFTER}`, async () => {
    sentIds.push(...await sendRange(1, RESTART_AFTER));
    return expect(new Set(sentIds).size === RESTART_AFTER, `event IDs: ${js(sentIds)}`);
}, { fatal: true });

await step(`bob's live timeline has all ${RESTART_AFTER}, in order, once`, async () => {
    try {
        await waitFor("bob's messages", () => bobLive.length >= RESTART_AFTER, 30000);
    } catch { /* reported below */ }
    await sleep(300); // anything extra (a duplicate) would show now
    const p = checkLive(sentIds, RESTART_AFTER);
    return expect(p.length === 0, p.join("; "));
});

let restartAsked = 0;
let restartDone = 0;
await step("syncrod restarted (RESTART-NOW / RESTARTED on the control channel)", async () => {
    restartAsked = Date.now();
    console.log("RESTART-NOW");
    await waitFor("a RESTARTED line on stdin", () => stdinLines.includes("RESTARTED"), 60000);
    restartDone = Date.now();
});

await step(`alice sends messages ${RESTART_AFTER + 1}..${TOTAL} after the restart`, async () => {
    sentIds.push(...await sendRange(RESTART_AFTER + 1, TOTAL));
    return expect(new Set(sentIds).size === TOTAL, `${new Set(sentIds).size} distinct event IDs`);
}, { fatal: true });

await step(`bob's live timeline has exactly ${TOTAL} distinct events from alice, in order, once`, async () => {
    try {
        await waitFor("bob's messages", () => bobLive.length >= TOTAL, 45000);
    } catch { /* reported below */ }
    await sleep(500);
    const p = checkLive(sentIds, TOTAL);
    return expect(p.length === 0, `${p.join("; ")} (bob's sync states since the restart: ${js(bobStates.slice(-8))})`);
});

await step("bob's first /sync answered after the restart resumed from a token issued before it", () => {
    const before = new Set(bobRaw.filter((r) => r.at < restartAsked).map((r) => r.body?.next_batch));
    const first = bobRaw.find((r) => r.at > restartDone);
    const since = first && new URL(first.url).searchParams.get("since");
    return expect(since && before.has(since),
        first ? `since=${js(since)}; tokens before the restart: ${js([...before].slice(-3))}`
            : "bob had no /sync answered after the restart");
});

await step("bob's room timeline never had a gap (no limited sync, no TimelineReset)", () => {
    const limited = bobRaw.filter((r) => r.body?.rooms?.join?.[roomId]?.timeline?.limited === true);
    // The sync that brought the join may be limited (it starts the room); none after it.
    const firstJoin = bobRaw.findIndex((r) => r.body?.rooms?.join?.[roomId]);
    const later = limited.filter((r) => bobRaw.indexOf(r) > firstJoin);
    return expect(later.length === 0 && bobResets === 0,
        `${later.length} limited timelines after the join, ${bobResets} TimelineReset`);
});

await step("on the wire: every message event reached bob in exactly one /sync response", () => {
    const count = new Map();
    for (const r of bobRaw) {
        for (const e of r.body?.rooms?.join?.[roomId]?.timeline?.events ?? []) {
            if (e.type === "m.room.message") count.set(e.event_id, (count.get(e.event_id) ?? 0) + 1);
        }
    }
    const dup = [...count].filter(([, c]) => c > 1);
    const missing = sentIds.filter((id) => !count.has(id));
    return expect(dup.length === 0 && missing.length === 0,
        `${dup.length} sent more than once (${js(dup.slice(0, 3))}), ${missing.length} never sent`);
});

await step("next_batch tokens only move forward across the restart (no token repeats while events flow)", () => {
    // A response carrying events must come with a token not seen before.
    const seen = new Set();
    for (const r of bobRaw) {
        const tl = r.body?.rooms?.join?.[roomId]?.timeline?.events ?? [];
        const nb = r.body?.next_batch;
        if (tl.length > 0 && seen.has(nb)) return expect(false, `next_batch ${nb} repeated with events`);
        seen.add(nb);
    }
    return expect(true);
});

// --- a read receipt ----------------------------------------------------------

let bobMsgId;
await step("bob replies; alice's sync loop delivers it", async () => {
    const r = await bob.sendMessage(roomId, { msgtype: "m.text", body: "bob read it all" });
    bobMsgId = r.event_id;
    await waitFor("bob's reply in alice's timeline",
        () => alice.getRoom(roomId).getLiveTimeline().getEvents()
            .some((e) => e.getId() === bobMsgId && !e.status));
});

await step("alice sends a read receipt for bob's reply; bob gets RoomEvent.Receipt", async () => {
    const ev = alice.getRoom(roomId).findEventById(bobMsgId);
    if (!ev) return expect(false, "alice has no MatrixEvent for bob's reply");
    await alice.sendReadReceipt(ev);
    await waitFor(() => `alice's m.read receipt (receipts seen: ${js(bobReceipts)})`,
        () => bobReceipts.some((c) => c[bobMsgId]?.["m.read"]?.[aliceId]));
    const r = bobReceipts.find((c) => c[bobMsgId]?.["m.read"]?.[aliceId])[bobMsgId]["m.read"][aliceId];
    return expect(typeof r.ts === "number" && r.ts > 0, `receipt: ${js(r)}`);
});

await step("bob's room: getUsersReadUpTo / getReceiptsForEvent / getEventReadUpTo show alice", () => {
    const room = bob.getRoom(roomId);
    const ev = room.findEventById(bobMsgId);
    const users = ev ? room.getUsersReadUpTo(ev) : [];
    const rcpts = ev ? room.getReceiptsForEvent(ev) : [];
    const upTo = room.getEventReadUpTo(aliceId);
    return expect(users.includes(aliceId)
        && rcpts.some((x) => x.userId === aliceId && x.type === "m.read") && upTo === bobMsgId,
    `users ${js(users)}, receipts ${js(rcpts)}, alice read up to ${upTo}`);
});

// --- pagination --------------------------------------------------------------

// Scroll back until m.room.create is in the live timeline; the events then.
async function scrollToCreate(client, room, pageSize) {
    const has = () => room.getLiveTimeline().getEvents().some((e) => e.getType() === "m.room.create");
    let pages = 0;
    while (!has()) {
        if (room.oldState.paginationToken === null) {
            throw new Error(`start of the timeline reached after ${pages} pages without m.room.create`);
        }
        if (++pages > 60) throw new Error("no m.room.create after 60 pages");
        await client.scrollback(room, pageSize);
    }
    return { pages, events: room.getLiveTimeline().getEvents() };
}

function checkHistory(events) {
    const types = events.map((e) => e.getType());
    const ids = events.map((e) => e.getId());
    const msgs = events.filter((e) => e.getType() === "m.room.message" && e.getSender() === aliceId);
    const problems = [];
    if (types[0] !== "m.room.create") problems.push(`first event is ${types[0]}`);
    if (new Set(ids).size !== ids.length) problems.push(`${ids.length - new Set(ids).size} duplicate events`);
    if (msgs.length !== TOTAL) problems.push(`${msgs.length} messages from alice, want ${TOTAL}`);
    for (let i = 0; i < msgs.length; i++) {
        if (msgs[i].getContent().body !== `msg ${i + 1}` || msgs[i].getId() !== sentIds[i]) {
            problems.push(`message ${i}: ${msgs[i].getContent().body} ${msgs[i].getId()}`);
            break;
        }
    }
    const bobJoin = events.findIndex((e) => e.getType() === "m.room.member" && e.getStateKey() === bobId
        && e.getContent().membership === "join");
    const first = events.findIndex((e) => e.getId() === sentIds[0]);
    if (bobJoin < 0 || first < bobJoin) problems.push(`bob's join at ${bobJoin}, msg 1 at ${first}`);
    return problems;
}

// bob's join sync may already reach back to m.room.create (the room's history
// before the join is short); the second device below pages through it all.
await step("bob's timeline reaches back to m.room.create (client.scrollback as needed): all 200, in order, once", async () => {
    const room = bob.getRoom(roomId);
    const { pages, events } = await scrollToCreate(bob, room, 20);
    const p = checkHistory(events);
    return expect(p.length === 0, `${p.join("; ")} after ${pages} pages`);
});

const bob2Raw = [];
const bob2Gate = {
    closed: false,
    waiters: [],
    open() { this.closed = false; this.waiters.splice(0).forEach((f) => f()); },
};
let bob2;
const bob2Resets = [];
await step("bob's second device: short initial sync, then pages through all history to m.room.create",
    async () => {
        const anon = createClient({ baseUrl, logger: quiet });
        const login = await anon.loginRequest({
            type: "m.login.password", identifier: { type: "m.id.user", user: `bob${tag}` }, password,
        });
        bob2 = createClient({
            baseUrl, userId: login.user_id, accessToken: login.access_token,
            deviceId: login.device_id, logger: quiet, fetchFn: watchingFetch(bob2Raw, null, bob2Gate),
        });
        clients.push(bob2);
        bob2.on(RoomEvent.TimelineReset, (room) => {
            if (room?.roomId === roomId) bob2Resets.push(Date.now());
        });
        const states = trackSync(bob2, "bob2");
        await bob2.startClient({ initialSyncLimit: 5 });
        await waitFor(() => `PREPARED (states ${js(states)})`, () => ready(states), 30000);
        const room = bob2.getRoom(roomId);
        if (!room) return expect(false, "the room is not in the second device's initial sync");
        const initial = room.getLiveTimeline().getEvents().length;
        const { pages, events } = await scrollToCreate(bob2, room, 25);
        const p = checkHistory(events);
        if (initial > 5) p.push(`initial timeline had ${initial} events, limit 5`);
        if (pages < Math.ceil(TOTAL / 25)) p.push(`only ${pages} pages for ${TOTAL} messages at 25 a page`);
        return expect(p.length === 0, `${p.join("; ")} (${pages} pages, ${events.length} events)`);
    }, { fatal: true });

// The second device goes offline (its /sync requests held back, its since
// token kept) while alice sends more than a timeline's worth; when they go
// through, the room's timeline is limited and its prev_batch must page back
// over exactly the events skipped.
const LATE = 30;
await step(`bob's second device stalls for ${LATE} messages: a limited timeline, then prev_batch fills the gap exactly`,
    async () => {
        bob2Gate.closed = true;
        const late = [];
        for (let i = 1; i <= LATE; i++) {
            const r = await alice.sendMessage(roomId, { msgtype: "m.text", body: `late ${i}` });
            late.push(r.event_id);
        }
        await waitFor("bob2's /sync held at the gate", () => bob2Gate.waiters.length > 0, 10000);
        const openedAt = Date.now();
        bob2Gate.open();
        const resp = await waitFor("bob2's /sync after the stall, with the room",
            () => bob2Raw.find((r) => r.at >= openedAt && r.body?.rooms?.join?.[roomId]?.timeline), 30000);
        const since = new URL(resp.url).searchParams.get("since");
        const tl = resp.body.rooms.join[roomId].timeline;
        const ids = tl.events.map((e) => e.event_id);
        const k = late.indexOf(ids[0]);
        const p = [];
        if (!since) p.push("the /sync after the stall had no since token");
        if (tl.limited !== true) p.push(`limited ${js(tl.limited)} for ${ids.length} events`);
        if (k <= 0 || js(ids) !== js(late.slice(k))) p.push(`timeline ${js(tl.events.map((e) => e.content?.body))}`);
        if (typeof tl.prev_batch !== "string") p.push(`prev_batch ${js(tl.prev_batch)}`);
        if (p.length) return expect(false, p.join("; "));
        const page = await bob2.createMessagesRequest(roomId, tl.prev_batch, LATE, Direction.Backward);
        const back = (page.chunk ?? []).map((e) => e.event_id);
        const want = [...late.slice(0, k)].reverse().concat([bobMsgId]);
        await waitFor("bob2's TimelineReset", () => bob2Resets.length > 0, 5000).catch(() => {});
        return expect(js(back.slice(0, want.length)) === js(want) && bob2Resets.length > 0,
            `/messages from prev_batch: ${js((page.chunk ?? []).slice(0, want.length + 1).map((e) => e.content?.body))}, `
            + `want late ${k}..1 then bob's reply; TimelineReset ${bob2Resets.length}`);
    });

await step("both sync loops are still running (SYNCING)", () =>
    expect(alice.getSyncState() === SyncState.Syncing && bob.getSyncState() === SyncState.Syncing,
        `alice ${alice.getSyncState()}, bob ${bob.getSyncState()}`));

console.log(`# bob's sync states: ${js(bobStates.filter((s, i) => s !== bobStates[i - 1]))}`);
finish();

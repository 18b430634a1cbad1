// rooms.mjs -- an unmodified matrix-js-sdk against a Syncro node: rooms and
// spaces through the SDK's request methods (no /sync: startClient is never
// called).  Two users, alice and bob: a space with two child rooms, invites,
// joins by room ID and by alias, state changes read back by the other user,
// power levels, the space hierarchy, a message fetched and redacted, kick,
// ban, unban, leave, and the public room directory.
//
//   node rooms.mjs http://127.0.0.1:PORT SERVER_NAME
//
// Prints "ok N - name" / "not ok N - name # reason" lines (run by
// 30-rooms.t, which turns them into Test::More results) and exits 1 if any
// step failed.  Most steps go on after a failure; a step marked fatal (one
// whose result later steps need) stops the run.
import { createClient } from "matrix-js-sdk";
import { logger as sdkLogger } from "matrix-js-sdk/lib/logger.js";
import { describe, expect, finish, js, quiet, say, step } from "./steps.mjs";

const baseUrl = process.argv[2];
const serverName = process.argv[3];
if (!baseUrl || !serverName) {
    console.error("usage: node rooms.mjs BASE_URL SERVER_NAME");
    process.exit(2);
}

sdkLogger.setLevel("warn", false);

// The SDK call must be rejected with this HTTP status and errcode.
async function expectError(promise, status, errcode) {
    try {
        const r = await promise;
        return expect(false, `succeeded, expected ${status} ${errcode}: ${js(r)}`);
    } catch (e) {
        return expect(e.httpStatus === status && e.errcode === errcode,
            `expected ${status} ${errcode}, got ${describe(e)}`);
    }
}

const tag = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;
const password = "correct horse battery staple";

// Register through the SDK's user-interactive auth (m.login.dummy).
async function register(name) {
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
    return createClient({
        baseUrl, userId: reg.user_id, accessToken: reg.access_token,
        deviceId: reg.device_id, logger: quiet,
    });
}

const alice = await step("register alice", () => register(`alice${tag}`), { fatal: true });
const bob = await step("register bob", () => register(`bob${tag}`), { fatal: true });
const aliceId = alice.getUserId();
const bobId = bob.getUserId();

// --- a space and two children ----------------------------------------------

const spaceId = (await step("alice creates a space (creation_content type m.space, private_chat)", async () => {
    const r = await alice.createRoom({
        name: "E2E Space", topic: "a space for the e2e test", preset: "private_chat",
        creation_content: { type: "m.space" },
    });
    return typeof r.room_id === "string" && r.room_id.startsWith("!") ? r : { ok: false, why: js(r) };
}, { fatal: true })).room_id;

await step("the space's m.room.create has type m.space and creator alice", async () => {
    const c = await alice.getStateEvent(spaceId, "m.room.create", "");
    return expect(c.type === "m.space" && (c.creator === undefined || c.creator === aliceId),
        `m.room.create: ${js(c)}`);
});

const childA = (await step("alice creates child A (private_chat, name, topic)", async () => {
    const r = await alice.createRoom({ name: "Child A", topic: "topic A", preset: "private_chat" });
    return typeof r.room_id === "string" && r.room_id.startsWith("!") ? r : { ok: false, why: js(r) };
}, { fatal: true })).room_id;

const childB = (await step("alice creates child B (public_chat, name, topic)", async () => {
    const r = await alice.createRoom({ name: "Child B", topic: "topic B", preset: "public_chat" });
    return typeof r.room_id === "string" && r.room_id.startsWith("!") ? r : { ok: false, why: js(r) };
}, { fatal: true })).room_id;

await step("the three rooms are distinct", () =>
    expect(new Set([spaceId, childA, childB]).size === 3, js([spaceId, childA, childB])));

await step("join rules follow the presets (A invite, B public)", async () => {
    const a = await alice.getStateEvent(childA, "m.room.join_rules", "");
    const b = await alice.getStateEvent(childB, "m.room.join_rules", "");
    return expect(a.join_rule === "invite" && b.join_rule === "public", js({ a, b }));
});

await step("alice adds m.space.child for A and B (via, B suggested)", async () => {
    const ra = await alice.sendStateEvent(spaceId, "m.space.child", { via: [serverName] }, childA);
    const rb = await alice.sendStateEvent(spaceId, "m.space.child",
        { via: [serverName], suggested: true, order: "b" }, childB);
    return expect(ra.event_id?.startsWith("$") && rb.event_id?.startsWith("$") && ra.event_id !== rb.event_id,
        js({ ra, rb }));
});

await step("alice adds m.space.parent in A and B", async () => {
    const ra = await alice.sendStateEvent(childA, "m.space.parent", { via: [serverName], canonical: true }, spaceId);
    const rb = await alice.sendStateEvent(childB, "m.space.parent", { via: [serverName], canonical: true }, spaceId);
    return expect(ra.event_id?.startsWith("$") && rb.event_id?.startsWith("$"), js({ ra, rb }));
});

await step("getStateEvent reads an m.space.child back", async () => {
    const c = await alice.getStateEvent(spaceId, "m.space.child", childB);
    return expect(js(c.via) === js([serverName]) && c.suggested === true, js(c));
});

const aliasB = `#e2e-b-${tag}:${serverName}`;
await step("alice creates an alias for B (createAlias)", () => alice.createAlias(aliasB, childB));

await step("getRoomIdForAlias resolves it to B", async () => {
    const r = await alice.getRoomIdForAlias(aliasB);
    return expect(r.room_id === childB && Array.isArray(r.servers) && r.servers.includes(serverName), js(r));
});

// --- invites and joins -------------------------------------------------------

await step("bob cannot join the invite-only space uninvited (M_FORBIDDEN)",
    () => expectError(bob.joinRoom(spaceId), 403, "M_FORBIDDEN"));

await step("alice invites bob to the space, A and B", async () => {
    await alice.invite(spaceId, bobId);
    await alice.invite(childA, bobId);
    await alice.invite(childB, bobId, "come to B");
});

await step("members(space) lists bob as invited and alice as joined", async () => {
    const m = await alice.members(spaceId);
    const by = Object.fromEntries(m.chunk.map((e) => [e.state_key, e.content?.membership]));
    return expect(by[bobId] === "invite" && by[aliceId] === "join", js(by));
});

await step("the invite reason is in bob's m.room.member in B", async () => {
    const c = await alice.getStateEvent(childB, "m.room.member", bobId);
    return expect(c.membership === "invite" && c.reason === "come to B", js(c));
});

await step("bob joins the space by room ID", async () => {
    const room = await bob.joinRoom(spaceId);
    return expect(room?.roomId === spaceId, `joinRoom returned ${room?.roomId}`);
});

await step("bob joins A by room ID", async () => {
    const room = await bob.joinRoom(childA);
    return expect(room?.roomId === childA, `joinRoom returned ${room?.roomId}`);
});

await step("bob resolves B's alias (getRoomIdForAlias)", async () => {
    const r = await bob.getRoomIdForAlias(aliasB);
    return expect(r.room_id === childB, js(r));
});

await step("bob joins B by alias", async () => {
    const room = await bob.joinRoom(aliasB);
    return expect(room?.roomId === childB, `joinRoom returned ${room?.roomId}`);
});

await step("getJoinedRooms: bob is in all three rooms", async () => {
    const r = await bob.getJoinedRooms();
    const s = new Set(r.joined_rooms);
    return expect(s.has(spaceId) && s.has(childA) && s.has(childB) && s.size === 3, js(r));
});

await step("getJoinedRooms: alice is in all three rooms", async () => {
    const r = await alice.getJoinedRooms();
    const s = new Set(r.joined_rooms);
    return expect(s.has(spaceId) && s.has(childA) && s.has(childB) && s.size === 3, js(r));
});

await step("members(B) as bob: both joined", async () => {
    const m = await bob.members(childB);
    const by = Object.fromEntries(m.chunk.map((e) => [e.state_key, e.content?.membership]));
    return expect(by[bobId] === "join" && by[aliceId] === "join" && Object.keys(by).length === 2, js(by));
});

await step("members(A, 'join') as alice: both joined", async () => {
    const m = await alice.members(childA, "join");
    const ids = m.chunk.map((e) => e.state_key).sort();
    return expect(js(ids) === js([aliceId, bobId].sort())
        && m.chunk.every((e) => e.content?.membership === "join"), js(ids));
});

// --- state: alice writes, bob reads ------------------------------------------

let nameEvent;
await step("alice renames A (m.room.name)", async () => {
    nameEvent = await alice.sendStateEvent(childA, "m.room.name", { name: "Child A renamed" }, "");
    return expect(nameEvent.event_id?.startsWith("$"), js(nameEvent));
});

await step("alice changes the space's topic (m.room.topic)", () =>
    alice.sendStateEvent(spaceId, "m.room.topic", { topic: "the space, retopiced" }, ""));

await step("bob reads A's new name with getStateEvent", async () => {
    const c = await bob.getStateEvent(childA, "m.room.name", "");
    return expect(c.name === "Child A renamed", js(c));
});

await step("bob's roomState(A) has the new name from alice, the parent link and both members", async () => {
    const st = await bob.roomState(childA);
    const get = (t, k) => st.find((e) => e.type === t && e.state_key === k);
    const name = get("m.room.name", "");
    const parent = get("m.space.parent", spaceId);
    const ok = name?.content?.name === "Child A renamed" && name.sender === aliceId
        && name.event_id === nameEvent?.event_id && name.room_id === childA
        && js(parent?.content?.via) === js([serverName])
        && get("m.room.member", aliceId)?.content?.membership === "join"
        && get("m.room.member", bobId)?.content?.membership === "join"
        && get("m.room.create", "") !== undefined
        && st.every((e) => typeof e.state_key === "string");
    return expect(ok, `name ${js(name)} parent ${js(parent)} types ${js(st.map((e) => e.type))}`);
});

await step("bob reads the space's new topic with getStateEvent", async () => {
    const c = await bob.getStateEvent(spaceId, "m.room.topic", "");
    return expect(c.topic === "the space, retopiced", js(c));
});

await step("getStateEvent of a missing state key is M_NOT_FOUND",
    () => expectError(bob.getStateEvent(childA, "m.room.name", "no-such-key"), 404, "M_NOT_FOUND"));

// --- state: bob writes, alice reads (power levels) ---------------------------

await step("bob cannot change B's topic at power level 0 (M_FORBIDDEN)",
    () => expectError(bob.sendStateEvent(childB, "m.room.topic", { topic: "bob was here" }, ""),
        403, "M_FORBIDDEN"));

// Publishing needs the power to send m.room.canonical_alias (50 in public_chat).
await step("bob cannot publish B at power level 0 (M_FORBIDDEN)",
    () => expectError(bob.setRoomDirectoryVisibility(childB, "public"), 403, "M_FORBIDDEN"));

await step("B's directory visibility still reads private", async () => {
    const r = await alice.getRoomDirectoryVisibility(childB);
    return expect(r.visibility === "private", js(r));
});

await step("B's topic is unchanged after the refused change", async () => {
    const c = await alice.getStateEvent(childB, "m.room.topic", "");
    return expect(c.topic === "topic B", js(c));
});

await step("alice raises bob to 50 with m.room.power_levels", async () => {
    const pl = await alice.getStateEvent(childB, "m.room.power_levels", "");
    if (!pl.users || pl.users[aliceId] !== 100) return expect(false, `power levels: ${js(pl)}`);
    const content = { ...pl, users: { ...pl.users, [bobId]: 50 } };
    await alice.sendStateEvent(childB, "m.room.power_levels", content, "");
});

await step("bob reads his power level (50) back", async () => {
    const pl = await bob.getStateEvent(childB, "m.room.power_levels", "");
    return expect(pl.users?.[bobId] === 50 && pl.users?.[aliceId] === 100, js(pl.users));
});

let topicEvent;
await step("bob changes B's topic", async () => {
    topicEvent = await bob.sendStateEvent(childB, "m.room.topic", { topic: "bob's topic for B" }, "");
    return expect(topicEvent.event_id?.startsWith("$"), js(topicEvent));
});

await step("alice reads bob's topic with getStateEvent", async () => {
    const c = await alice.getStateEvent(childB, "m.room.topic", "");
    return expect(c.topic === "bob's topic for B", js(c));
});

await step("alice's roomState(B) has the topic sent by bob", async () => {
    const st = await alice.roomState(childB);
    const t = st.find((e) => e.type === "m.room.topic" && e.state_key === "");
    return expect(t?.content?.topic === "bob's topic for B" && t.sender === bobId
        && t.event_id === topicEvent?.event_id, js(t));
});

await step("bob still cannot change the power levels (needs 100)", async () => {
    const pl = await bob.getStateEvent(childB, "m.room.power_levels", "");
    return expectError(bob.sendStateEvent(childB, "m.room.power_levels",
        { ...pl, users: { ...pl.users, [bobId]: 100 } }, ""), 403, "M_FORBIDDEN");
});

// --- the space hierarchy -----------------------------------------------------

await step("getRoomHierarchy as bob: the space and both children, with children_state", async () => {
    const h = await bob.getRoomHierarchy(spaceId);
    const rooms = h.rooms ?? [];
    const by = Object.fromEntries(rooms.map((r) => [r.room_id, r]));
    const sp = by[spaceId];
    const a = by[childA];
    const b = by[childB];
    const why = `hierarchy: ${js(h)}`;
    if (!sp || !a || !b || rooms.length !== 3) return expect(false, why);
    if (rooms[0].room_id !== spaceId) return expect(false, `the space is not first: ${why}`);
    const cs = sp.children_state ?? [];
    const kids = Object.fromEntries(cs.map((e) => [e.state_key, e]));
    const ok = sp.room_type === "m.space" && sp.name === "E2E Space"
        && sp.topic === "the space, retopiced" && sp.num_joined_members === 2
        && cs.length === 2 && kids[childA] && kids[childB]
        && cs.every((e) => e.type === "m.space.child" && e.sender === aliceId
            && typeof e.origin_server_ts === "number" && js(e.content?.via) === js([serverName]))
        && kids[childB].content.suggested === true
        && a.name === "Child A renamed" && a.topic === "topic A" && a.join_rule === "invite"
        && b.name === "Child B" && b.topic === "bob's topic for B" && b.join_rule === "public"
        && a.num_joined_members === 2 && b.num_joined_members === 2
        && (a.children_state ?? []).length === 0 && (b.children_state ?? []).length === 0
        && a.room_type === undefined && b.room_type === undefined;
    return expect(ok, why);
});

await step("getRoomHierarchy suggested_only: the space and B only", async () => {
    const h = await bob.getRoomHierarchy(spaceId, undefined, undefined, true);
    const ids = (h.rooms ?? []).map((r) => r.room_id);
    return expect(ids.length === 2 && ids[0] === spaceId && ids.includes(childB), js(h));
});

await step("getRoomHierarchy max_depth 0: the space alone", async () => {
    const h = await bob.getRoomHierarchy(spaceId, undefined, 0);
    const ids = (h.rooms ?? []).map((r) => r.room_id);
    return expect(ids.length === 1 && ids[0] === spaceId, js(h));
});

await step("getRoomHierarchy limit 1 pages with next_batch", async () => {
    const seen = [];
    let from;
    for (let i = 0; i < 5; i++) {
        const h = await bob.getRoomHierarchy(spaceId, 1, undefined, false, from);
        if ((h.rooms ?? []).length !== 1) return expect(false, `page ${i}: ${js(h)}`);
        seen.push(h.rooms[0].room_id);
        from = h.next_batch;
        if (!from) break;
    }
    return expect(seen.length === 3 && seen[0] === spaceId && new Set(seen).size === 3
        && seen.includes(childA) && seen.includes(childB), js(seen));
});

// --- messages and redaction --------------------------------------------------

let msgId;
await step("bob sends a message in A (sendMessage)", async () => {
    const r = await bob.sendMessage(childA, { msgtype: "m.text", body: "hello from bob" });
    msgId = r.event_id;
    return expect(typeof msgId === "string" && msgId.startsWith("$"), js(r));
});

await step("alice fetches bob's message (fetchRoomEvent)", async () => {
    const e = await alice.fetchRoomEvent(childA, msgId);
    return expect(e.event_id === msgId && e.type === "m.room.message" && e.sender === bobId
        && e.room_id === childA && e.content?.body === "hello from bob"
        && e.content?.msgtype === "m.text" && typeof e.origin_server_ts === "number", js(e));
});

let customId;
await step("bob sends a custom event (sendEvent)", async () => {
    const r = await bob.sendEvent(childA, "org.syncro.e2e.test", { n: 42, s: "ünïcødé ☃" });
    customId = r.event_id;
    return expect(typeof customId === "string" && customId.startsWith("$") && customId !== msgId, js(r));
});

await step("alice fetches the custom event", async () => {
    const e = await alice.fetchRoomEvent(childA, customId);
    return expect(e.type === "org.syncro.e2e.test" && e.sender === bobId
        && e.content?.n === 42 && e.content?.s === "ünïcødé ☃", js(e));
});

await step("fetchRoomEvent of an unknown event is M_NOT_FOUND",
    () => expectError(alice.fetchRoomEvent(childA, `$nosuchevent${tag}`), 404, "M_NOT_FOUND"));

let redactionId;
await step("alice redacts bob's message (redactEvent with a reason)", async () => {
    const r = await alice.redactEvent(childA, msgId, undefined, { reason: "e2e redaction" });
    redactionId = r.event_id;
    return expect(typeof redactionId === "string" && redactionId.startsWith("$") && redactionId !== msgId, js(r));
});

await step("bob sees his message redacted (content stripped)", async () => {
    const e = await bob.fetchRoomEvent(childA, msgId);
    return expect(e.event_id === msgId && e.type === "m.room.message" && e.sender === bobId
        && e.room_id === childA && e.content && Object.keys(e.content).length === 0
        && e.unsigned?.redacted_because?.event_id === redactionId, js(e));
});

// The spec makes unsigned.redacted_because the redaction event itself
// (a ClientEvent), not an abridged reference.
await step("unsigned.redacted_because is the full redaction event", async () => {
    const e = await bob.fetchRoomEvent(childA, msgId);
    const rb = e.unsigned?.redacted_because;
    return expect(rb?.event_id === redactionId && rb.type === "m.room.redaction" && rb.sender === aliceId
        && typeof rb.origin_server_ts === "number" && rb.content?.reason === "e2e redaction"
        && (rb.redacts === msgId || rb.content?.redacts === msgId), js(rb));
});

await step("bob fetches the redaction event itself", async () => {
    const e = await bob.fetchRoomEvent(childA, redactionId);
    return expect(e.type === "m.room.redaction" && e.sender === aliceId
        && (e.redacts === msgId || e.content?.redacts === msgId)
        && e.content?.reason === "e2e redaction", js(e));
});

await step("bob cannot redact alice's name event (M_FORBIDDEN)",
    () => expectError(bob.redactEvent(childA, nameEvent?.event_id), 403, "M_FORBIDDEN"));

// --- kick, ban, unban, leave -------------------------------------------------

await step("alice kicks bob from A", () => alice.kick(childA, bobId, "e2e kick"));

await step("alice reads bob's membership in A as leave, with the reason", async () => {
    const c = await alice.getStateEvent(childA, "m.room.member", bobId);
    return expect(c.membership === "leave" && c.reason === "e2e kick", js(c));
});

await step("bob reads his own membership in A as leave (state when he left)", async () => {
    const c = await bob.getStateEvent(childA, "m.room.member", bobId);
    return expect(c.membership === "leave", js(c));
});

await step("members(A) as alice: bob left, sent by alice", async () => {
    const m = await alice.members(childA);
    const ev = m.chunk.find((e) => e.state_key === bobId);
    return expect(ev?.content?.membership === "leave" && ev.sender === aliceId, js(ev));
});

await step("getJoinedRooms: bob is no longer in A", async () => {
    const r = await bob.getJoinedRooms();
    const s = new Set(r.joined_rooms);
    return expect(!s.has(childA) && s.has(spaceId) && s.has(childB), js(r));
});

await step("kicked from invite-only A, bob cannot rejoin (M_FORBIDDEN)",
    () => expectError(bob.joinRoom(childA), 403, "M_FORBIDDEN"));

await step("bob cannot send to A after the kick (M_FORBIDDEN)",
    () => expectError(bob.sendMessage(childA, { msgtype: "m.text", body: "still here?" }), 403, "M_FORBIDDEN"));

await step("alice bans bob from B", () => alice.ban(childB, bobId, "e2e ban"));

await step("bob's membership in B reads ban", async () => {
    const c = await alice.getStateEvent(childB, "m.room.member", bobId);
    return expect(c.membership === "ban" && c.reason === "e2e ban", js(c));
});

await step("banned, bob cannot rejoin public B by ID (M_FORBIDDEN)",
    () => expectError(bob.joinRoom(childB), 403, "M_FORBIDDEN"));

await step("banned, bob cannot rejoin public B by alias (M_FORBIDDEN)",
    () => expectError(bob.joinRoom(aliasB), 403, "M_FORBIDDEN"));

await step("alice unbans bob from B", () => alice.unban(childB, bobId));

await step("after unban bob's membership in B reads leave", async () => {
    const c = await alice.getStateEvent(childB, "m.room.member", bobId);
    return expect(c.membership === "leave", js(c));
});

await step("bob rejoins B after the unban", async () => {
    const room = await bob.joinRoom(childB);
    return expect(room?.roomId === childB, `joinRoom returned ${room?.roomId}`);
});

await step("alice sees bob joined in B again", async () => {
    const c = await alice.getStateEvent(childB, "m.room.member", bobId);
    return expect(c.membership === "join", js(c));
});

await step("bob leaves the space", () => bob.leave(spaceId));

await step("alice reads bob's membership in the space as leave, sent by bob", async () => {
    const st = await alice.roomState(spaceId);
    const ev = st.find((e) => e.type === "m.room.member" && e.state_key === bobId);
    return expect(ev?.content?.membership === "leave" && ev.sender === bobId, js(ev));
});

await step("getJoinedRooms: bob is only in B now", async () => {
    const r = await bob.getJoinedRooms();
    return expect(js(r.joined_rooms) === js([childB]), js(r));
});

// --- the public room directory -----------------------------------------------

await step("alice gives B a canonical alias", () =>
    alice.sendStateEvent(childB, "m.room.canonical_alias", { alias: aliasB }, ""));

await step("B is not in publicRooms before it is published", async () => {
    const r = await bob.publicRooms();
    return expect(Array.isArray(r.chunk) && !r.chunk.some((c) => c.room_id === childB), js(r));
});

await step("alice publishes B (setRoomDirectoryVisibility public)",
    () => alice.setRoomDirectoryVisibility(childB, "public"));

await step("getRoomDirectoryVisibility reads public", async () => {
    const r = await bob.getRoomDirectoryVisibility(childB);
    return expect(r.visibility === "public", js(r));
});

await step("publicRooms lists B with name, topic, alias and 2 members; not A or the space", async () => {
    const r = await bob.publicRooms();
    const b = r.chunk?.find((c) => c.room_id === childB);
    const ok = b && b.name === "Child B" && b.topic === "bob's topic for B"
        && b.canonical_alias === aliasB && b.num_joined_members === 2
        && b.join_rule === "public" && b.world_readable === false && b.guest_can_join === false
        && !r.chunk.some((c) => c.room_id === childA || c.room_id === spaceId);
    return expect(ok, js(r));
});

await step("publicRooms with a filter (POST) finds B by its topic", async () => {
    const hit = await alice.publicRooms({ filter: { generic_search_term: "bob's topic" } });
    const miss = await alice.publicRooms({ filter: { generic_search_term: `nothing-${tag}` } });
    return expect(hit.chunk?.some((c) => c.room_id === childB)
        && Array.isArray(miss.chunk) && !miss.chunk.some((c) => c.room_id === childB),
    js({ hit, miss }));
});

await step("alice unpublishes B; publicRooms no longer lists it", async () => {
    await alice.setRoomDirectoryVisibility(childB, "private");
    const r = await bob.publicRooms();
    return expect(Array.isArray(r.chunk) && !r.chunk.some((c) => c.room_id === childB), js(r));
});

finish();

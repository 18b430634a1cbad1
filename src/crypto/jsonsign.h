/*
 * crypto/jsonsign.h -- Matrix "Signing JSON": sign and verify json-c objects.
 *
 * The signed bytes are the canonical JSON of the object without its
 * "signatures" and "unsigned" members (spec appendices, "Signing
 * Details").  Signing adds signatures.<server>.<key_id> to the object in
 * place and keeps every other signature and the "unsigned" member.
 * Nothing here takes ownership of the objects passed in.
 */
#ifndef SY_CRYPTO_JSONSIGN_H
#define SY_CRYPTO_JSONSIGN_H

#include <stddef.h>

struct json_object;
struct sy_error;
struct sy_signing_key;

/* Cap on the canonical text that is signed or verified. */
#define SY_JSONSIGN_MAX_BYTES (4 * 1024 * 1024)

/*
 * Sign obj as 'server_name' with k and store the signature under
 * signatures.<server_name>.<k->key_id>, replacing one already there.
 * 0; SY_EINVAL (M_BAD_JSON) if obj is not an object, "signatures" is
 * not an object of objects, or a value cannot be canonicalised;
 * SY_ETOOBIG over SY_JSONSIGN_MAX_BYTES.  obj is unchanged on failure.
 */
int sy_jsonsign_sign(struct json_object *obj, const char *server_name,
                     const struct sy_signing_key *k, struct sy_error *err);

/*
 * Check signatures.<server_name>.<key_id> on obj against 'pub' (32 bytes).
 * 0 when it verifies; SY_ENOTFOUND when obj has no such signature;
 * SY_EFORBIDDEN when the signature is malformed or does not verify;
 * SY_EINVAL / SY_ETOOBIG when obj cannot be canonicalised.  Errors carry
 * M_FORBIDDEN (or M_BAD_JSON) for the client.
 */
int sy_jsonsign_verify(struct json_object *obj, const char *server_name, const char *key_id,
                       const unsigned char *pub, struct sy_error *err);

/*
 * The canonical JSON that a signature over obj covers, in a malloc'd
 * NUL-terminated string the caller frees (*len excludes the NUL).  0, or
 * as sy_jsonsign_sign() for a bad object.
 */
int sy_jsonsign_signed_bytes(struct json_object *obj, char **out, size_t *len,
                             struct sy_error *err);

#endif /* SY_CRYPTO_JSONSIGN_H */

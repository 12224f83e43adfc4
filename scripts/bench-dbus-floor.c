// The floor of a warm `get` on the bus for make bench: the calls a warm `get` of an ACR host
// served by the default key makes, in the same three rounds, from C over a socket of its own,
// without GLib: the authentication, `Hello` and `ReadAlias` in one write; then `Locked`, the
// host's search, the default key's search and a plain `OpenSession`; then both items'
// properties and their secrets. What a `get` takes beyond this is process start, GIO and Swift.
// A measuring tool only: it speaks just enough D-Bus for these calls, little-endian, and exits
// non-zero on any error reply or anything it does not expect.
//
//   bench-dbus-floor HOST     (DBUS_SESSION_BUS_ADDRESS must be unix:path=…)
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define SCHEMA "docker-credential-acr-helper.v1"
#define SERVICE "org.freedesktop.secrets"

static void fail(const char *what) {
    fprintf(stderr, "bench-dbus-floor: %s\n", what);
    exit(1);
}

// ---- writing messages

typedef struct {
    unsigned char bytes[4096];
    size_t length;
} Buffer;

static void put(Buffer *b, const void *data, size_t size) {
    if (b->length + size > sizeof b->bytes) fail("message too long");
    memcpy(b->bytes + b->length, data, size);
    b->length += size;
}
static void align(Buffer *b, size_t to) {
    while (b->length % to) put(b, "", 1);
}
static void put_u32(Buffer *b, uint32_t value) {
    align(b, 4);
    put(b, &value, 4);
}
static void put_string(Buffer *b, const char *s) {
    put_u32(b, (uint32_t)strlen(s));
    put(b, s, strlen(s) + 1);
}
static void put_signature(Buffer *b, const char *s) {
    unsigned char length = (unsigned char)strlen(s);
    put(b, &length, 1);
    put(b, s, length + 1u);
}
// An array's length (of its elements, from the first one's aligned start) is patched in once
// they are written.
typedef struct {
    size_t length_at, start;
} Array;
static Array begin_array(Buffer *b, size_t element_alignment) {
    put_u32(b, 0);
    Array array = {b->length - 4, 0};
    align(b, element_alignment);
    array.start = b->length;
    return array;
}
static void end_array(Buffer *b, Array array) {
    uint32_t length = (uint32_t)(b->length - array.start);
    memcpy(b->bytes + array.length_at, &length, 4);
}
static void put_attributes(Buffer *b, const char *const *pairs, int count) {
    Array at = begin_array(b, 8);
    for (int i = 0; i < count; i++) {
        align(b, 8);
        put_string(b, pairs[2 * i]);
        put_string(b, pairs[2 * i + 1]);
    }
    end_array(b, at);
}

static uint32_t last_serial;

// Appends one method call to `out`: header fields path, interface, member, destination, signature.
static uint32_t call(Buffer *out, const char *destination, const char *path, const char *interface,
                     const char *member, const char *signature, const Buffer *body) {
    Buffer m = {.length = 0};
    put(&m, "l\1\0\1", 4);  // little-endian, method call, no flags, protocol 1
    put_u32(&m, body ? (uint32_t)body->length : 0);
    put_u32(&m, ++last_serial);
    Array at = begin_array(&m, 8);
    const struct { unsigned char code; char type; const char *value; } fields[] = {
        {1, 'o', path}, {2, 's', interface}, {3, 's', member}, {6, 's', destination}, {8, 'g', signature}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (fields[i].value == NULL || fields[i].value[0] == 0) continue;
        align(&m, 8);
        put(&m, &fields[i].code, 1);
        char type[2] = {fields[i].type, 0};
        put_signature(&m, type);
        if (fields[i].type == 'g') put_signature(&m, fields[i].value);
        else put_string(&m, fields[i].value);
    }
    end_array(&m, at);
    align(&m, 8);
    put(out, m.bytes, m.length);
    if (body) put(out, body->bytes, body->length);
    return last_serial;
}

// ---- reading replies

static int bus;
static unsigned char input[1 << 16];
static size_t input_length, input_used;

// Keeps only what is not read yet, at the start: between rounds, when no reply is held.
static void next_round(void) {
    memmove(input, input + input_used, input_length - input_used);
    input_length -= input_used;
    input_used = 0;
}

static void read_more(void) {
    if (input_length == sizeof input) fail("reply too long");
    ssize_t got = read(bus, input + input_length, sizeof input - input_length);
    if (got <= 0) fail("the bus closed the connection");
    input_length += (size_t)got;
}

typedef struct {
    const unsigned char *bytes;
    size_t length, offset;
} Reader;

static void skip_to(Reader *r, size_t to) {
    while (r->offset % to) r->offset++;
    if (r->offset > r->length) fail("malformed reply");
}
static uint32_t get_u32(Reader *r) {
    skip_to(r, 4);
    if (r->offset + 4 > r->length) fail("malformed reply");
    uint32_t value;
    memcpy(&value, r->bytes + r->offset, 4);
    r->offset += 4;
    return value;
}
static const char *get_string(Reader *r) {
    uint32_t length = get_u32(r);
    if (length >= r->length - r->offset || r->bytes[r->offset + length] != 0) fail("malformed reply");
    const char *s = (const char *)r->bytes + r->offset;
    r->offset += length + 1;
    return s;
}
static const char *get_signature(Reader *r) {
    if (r->offset >= r->length) fail("malformed reply");
    size_t length = r->bytes[r->offset++];
    if (length >= r->length - r->offset || r->bytes[r->offset + length] != 0) fail("malformed reply");
    const char *s = (const char *)r->bytes + r->offset;
    r->offset += length + 1;
    return s;
}

typedef struct {
    uint32_t reply_to;
    Reader body;
} Reply;

// Reads messages until one replies to `serial` (signals and other replies are skipped); a reply
// stays valid until the next round's messages are read.
static Reply reply_to(uint32_t serial) {
    for (;;) {
        while (input_length - input_used < 16) read_more();
        const unsigned char *h = input + input_used;
        if (h[0] != 'l') fail("not a little-endian message");
        uint32_t body_length, fields_length;
        memcpy(&body_length, h + 4, 4);
        memcpy(&fields_length, h + 12, 4);
        size_t header = (16 + (size_t)fields_length + 7) & ~(size_t)7;
        if (header + body_length > sizeof input) fail("reply too long");
        while (input_length - input_used < header + body_length) read_more();
        h = input + input_used;
        Reader fields = {h, 16 + fields_length, 16};
        uint32_t answered = 0;
        while (fields.offset < fields.length) {
            skip_to(&fields, 8);
            if (fields.offset >= fields.length) break;
            unsigned char code = h[fields.offset++];
            const char *type = get_signature(&fields);
            if (type[0] == 'u') {
                uint32_t value = get_u32(&fields);
                if (code == 5) answered = value;
            } else if (type[0] == 's' || type[0] == 'o') {
                get_string(&fields);
            } else if (type[0] == 'g') {
                get_signature(&fields);
            } else {
                fail("unexpected header field");
            }
        }
        input_used += header + body_length;
        if ((h[1] == 2 || h[1] == 3) && answered == serial) {
            if (h[1] == 3) fail("the service answered with an error");
            return (Reply){answered, {h + header, body_length, 0}};
        }
    }
}

// The first object path of an `ao` reply; NULL for an empty array.
static const char *first_path(Reply reply) {
    if (get_u32(&reply.body) == 0) return NULL;
    return get_string(&reply.body);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: bench-dbus-floor HOST\n");
        return 64;
    }
    const char *address = getenv("DBUS_SESSION_BUS_ADDRESS");
    if (address == NULL || strncmp(address, "unix:path=", 10) != 0 || strchr(address, ',') != NULL)
        fail("DBUS_SESSION_BUS_ADDRESS is not unix:path=…");
    struct sockaddr_un socket_address = {.sun_family = AF_UNIX};
    if (strlen(address + 10) >= sizeof socket_address.sun_path) fail("socket path too long");
    strcpy(socket_address.sun_path, address + 10);
    bus = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (bus < 0 || connect(bus, (struct sockaddr *)&socket_address, sizeof socket_address) != 0)
        fail("cannot connect to the bus");

    // Round 1: the authentication (EXTERNAL, the user ID in hex of its decimal digits), Hello, ReadAlias.
    Buffer out = {.length = 0};
    char uid[16], line[64] = "";
    snprintf(uid, sizeof uid, "%u", (unsigned)getuid());
    for (size_t i = 0; uid[i]; i++) snprintf(line + 2 * i, 3, "%02x", (unsigned char)uid[i]);
    put(&out, "", 1);
    put(&out, "AUTH EXTERNAL ", 14);
    put(&out, line, strlen(line));
    put(&out, "\r\nBEGIN\r\n", 9);
    uint32_t hello = call(&out, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello", "", NULL);
    Buffer body = {.length = 0};
    put_string(&body, "default");
    uint32_t alias = call(&out, SERVICE, "/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "ReadAlias", "s", &body);
    if (write(bus, out.bytes, out.length) != (ssize_t)out.length) fail("cannot write");
    // The OK line comes before any message.
    for (;;) {
        read_more();
        unsigned char *end = memmem(input, input_length, "\r\n", 2);
        if (end == NULL) continue;
        if (memcmp(input, "OK ", 3) != 0) fail("the bus refused the authentication");
        input_used = (size_t)(end + 2 - input);
        break;
    }
    reply_to(hello);
    Reply aliased = reply_to(alias);
    char collection[256];
    snprintf(collection, sizeof collection, "%s", get_string(&aliased.body));
    if (strcmp(collection, "/") == 0) fail("no default collection");

    // Round 2: Locked, the two searches, a plain session.
    out.length = 0;
    next_round();
    body.length = 0;
    put_string(&body, "org.freedesktop.Secret.Collection");
    put_string(&body, "Locked");
    uint32_t locked = call(&out, SERVICE, collection, "org.freedesktop.DBus.Properties", "Get", "ss", &body);
    const char *host[] = {"server", argv[1], "xdg:schema", SCHEMA};
    body.length = 0;
    put_attributes(&body, host, 2);
    uint32_t host_search = call(&out, SERVICE, collection, "org.freedesktop.Secret.Collection", "SearchItems", "a{ss}", &body);
    const char *key[] = {"kind", "access-key", "server", "*", "xdg:schema", SCHEMA};
    body.length = 0;
    put_attributes(&body, key, 3);
    uint32_t key_search = call(&out, SERVICE, collection, "org.freedesktop.Secret.Collection", "SearchItems", "a{ss}", &body);
    body.length = 0;
    put_string(&body, "plain");
    put_signature(&body, "s");
    put_string(&body, "");
    uint32_t open = call(&out, SERVICE, "/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "OpenSession", "sv", &body);
    if (write(bus, out.bytes, out.length) != (ssize_t)out.length) fail("cannot write");
    reply_to(locked);
    char host_item[256], key_item[256], session[256];
    const char *found = first_path(reply_to(host_search));
    if (found == NULL) fail("no item for the host");
    snprintf(host_item, sizeof host_item, "%s", found);
    found = first_path(reply_to(key_search));
    if (found == NULL) fail("no default key");
    snprintf(key_item, sizeof key_item, "%s", found);
    Reply opened = reply_to(open);
    if (strcmp(get_signature(&opened.body), "s") != 0) fail("unexpected OpenSession answer");
    get_string(&opened.body);
    snprintf(session, sizeof session, "%s", get_string(&opened.body));

    // Round 3: both items' properties, and their secrets.
    out.length = 0;
    next_round();
    body.length = 0;
    put_string(&body, "org.freedesktop.Secret.Item");
    uint32_t host_properties = call(&out, SERVICE, host_item, "org.freedesktop.DBus.Properties", "GetAll", "s", &body);
    uint32_t key_properties = call(&out, SERVICE, key_item, "org.freedesktop.DBus.Properties", "GetAll", "s", &body);
    body.length = 0;
    Array at = begin_array(&body, 4);
    put_string(&body, host_item);
    put_string(&body, key_item);
    end_array(&body, at);
    put_string(&body, session);
    uint32_t secrets = call(&out, SERVICE, "/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "GetSecrets", "aoo", &body);
    if (write(bus, out.bytes, out.length) != (ssize_t)out.length) fail("cannot write");
    reply_to(host_properties);
    reply_to(key_properties);
    Reply answered = reply_to(secrets);
    if (get_u32(&answered.body) == 0) fail("no secrets");
    puts("ok");
    return 0;
}

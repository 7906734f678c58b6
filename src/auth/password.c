/*
 * password.c - Argon2id hashing through libsodium, PHC-string parameter parsing for re-hash
 * decisions, the dummy verify for unknown users, and the password policy.
 *
 * DESIGN. The policy follows NIST SP 800-63B / ASVS 5: length 8..128 counted in Unicode code
 * points (a password of emoji is as long as it looks), no composition rules, and a refusal of the
 * most common passwords. Only entries of 8+ characters are in the table, since shorter ones are
 * refused by length anyway. The table is sorted bytewise (LC_ALL=C) and lowercase; lookups
 * lower-case ASCII letters of the candidate and binary-search it.
 * The dummy hash is a constant made once with the current parameters (a unit test keeps it in
 * step), so password_verify_dummy costs exactly one Argon2id verify at those parameters and needs
 * no start-up work.
 */
#include "auth/password.h"

#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"

/* "$argon2id$v=19$m=19456,t=2,p=1$..." of a throwaway password, current parameters. */
static const char dummy_hash[PASSWORD_HASH_MAX] =
    "$argon2id$v=19$m=19456,t=2,p=1$siiBiW7llmp2kTlZF2JmVw$eq106r86h3rFjuJGsufdrcnNQ/JLHt7vThCwydHmavA";

static const char *const common_table[] = {
    "!qaz2wsx", "00000000", "000000000", "0000000000", "0987654321", "11111111",
    "111111111", "1111111111", "11112222", "11223344", "112233445566", "12121212",
    "123123123", "12341234", "12344321", "1234512345", "123456123456", "12345678",
    "123456789", "1234567890", "12345678910", "1234567899", "123456789a", "12345678a",
    "123456abc", "12345qwert", "1234abcd", "1234qwer", "123654789", "123qweasd",
    "123qweasdzxc", "13131313", "147258369", "147852369", "159753159", "1q2w3e4r",
    "1q2w3e4r5t", "1q2w3e4r5t6y", "1qaz2wsx", "1qaz2wsx3edc", "1qazxsw2", "22222222",
    "33333333", "44444444", "55555555", "66666666", "666666666", "741852963",
    "77777777", "789456123", "87654321", "88888888", "987654321", "9876543210",
    "99999999", "a1234567", "a12345678", "a123456789", "aa123456", "aa12345678",
    "aaaaaaaa", "abc12345", "abc123456", "abcd1234", "abcd12345", "abcdefg1",
    "abcdefgh", "access14", "admin123", "admin1234", "adminadmin", "administrator",
    "alexander", "anthony1", "arsenal1", "asdf1234", "asdfasdf", "asdfghjk",
    "asdfghjkl", "asdfghjkl123", "autumn2023", "azerty123", "azertyuiop", "barcelona",
    "baseball", "baseball1", "basketball", "batman123", "beautiful", "benjamin",
    "blessed1", "blink182", "bubbles1", "buster123", "butterfly", "changeme",
    "changeme1", "charlie1", "charlie123", "chelsea1", "chocolate", "christian",
    "computer", "computer1", "computer123", "contrasena", "cookie123", "corvette",
    "daniel123", "danielle", "december", "diamond1", "dolphins", "dragon12",
    "dragon123", "elephant", "facebook", "facebook1", "february", "flower123",
    "football", "football1", "football12", "forever1", "freedom1", "friends1",
    "fuckyou1", "fuckyou123", "ginger12", "godisgood", "google123", "guest123",
    "hannah12", "hello123", "hello1234", "hellokitty", "helloworld", "hunter12",
    "hunter123", "iamthebest", "ilovegod", "iloveu123", "iloveyou", "iloveyou!",
    "iloveyou1", "iloveyou12", "iloveyou2", "instagram", "internet", "internet1",
    "iphone123", "january1", "jasmine1", "jennifer", "jennifer1", "jessica1",
    "jesus123", "jesuschrist", "jonathan", "jordan123", "jordan23", "joshua123",
    "junior123", "juventus", "killer123", "letmein1", "letmein123", "letmeinnow",
    "linkedin", "liverpool", "lovelove", "lovely123", "loveme123", "loveyou1",
    "maggie12", "manchester", "marlboro", "martin123", "master12", "master123",
    "matthew1", "maverick", "mercedes", "metallica", "michael1", "michael123",
    "michelle", "mickey123", "midnight", "minecraft", "mitchell", "monkey12",
    "monkey123", "morgan123", "motdepasse", "mustang1", "mylove123", "myspace1",
    "naruto123", "nathan123", "nicholas", "nintendo", "november", "orange123",
    "p@ssw0rd", "p@ssword", "pa$$word", "pa55word", "pass1234", "pass12345",
    "passport", "passw0rd", "password", "password!", "password1", "password12",
    "password123", "password1234", "password2020", "password2021", "password2022", "password2023",
    "password2024", "password2025", "passwort", "passwort1", "patricia", "peaches1",
    "pepper123", "phoenix1", "pokemon1", "porsche911", "precious", "princess",
    "princess1", "purple123", "q1w2e3r4", "q1w2e3r4t5", "q2w3e4r5", "qazwsxedc",
    "qwe123qwe", "qweasdzxc", "qwer1234", "qwerqwer", "qwert12345", "qwerty11",
    "qwerty12", "qwerty123", "qwerty1234", "qwerty123456", "qwertyqwerty", "qwertyu1",
    "qwertyui", "qwertyuiop", "qwertyuiop123", "qwertzuiop", "rainbow1", "realmadrid",
    "robert123", "root1234", "samantha", "samsung1", "samsung123", "scooter1",
    "secret12", "secret123", "senha123", "september", "shadow12", "shadow123",
    "silver123", "snoopy123", "soccer12", "soccer123", "sophie123", "sparky123",
    "spiderman", "spring2024", "starwars", "starwars1", "stephanie", "summer2023",
    "summer2024", "sunshine", "sunshine1", "superman", "superman1", "superstar",
    "sweetheart", "taylor123", "teresa123", "test1234", "test12345", "testtest",
    "thomas123", "thunder1", "tigger123", "trinity1", "trustno1", "twitter1",
    "unicorn1", "user1234", "vanessa1", "victoria", "welcome1", "welcome123",
    "welcome2023", "whatever", "whatever1", "william1", "william123", "winter2023",
    "yankees1", "yellow123", "youtube1", "zachary1", "zaq12wsx", "zaq1xsw2",
    "zaq1zaq1", "zxcv1234", "zxcvbnm1", "zxcvbnm123", "zxcvbnmasdf",
};

static int sodium_ready(void)
{
    return sodium_init() < 0 ? RR_ERR_INTERNAL : 0;
}

const char *password_verdict_name(enum password_verdict v)
{
    switch (v) {
    case PASSWORD_OK:
        return "ok";
    case PASSWORD_TOO_SHORT:
        return "too_short";
    case PASSWORD_TOO_LONG:
        return "too_long";
    case PASSWORD_BAD_ENCODING:
        return "bad_encoding";
    case PASSWORD_COMMON:
        return "common";
    }
    return "unknown";
}

long password_utf8_count(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    long count = 0;
    size_t i = 0;
    if (!s && len)
        return -1;
    while (i < len) {
        unsigned c = p[i];
        size_t need;
        uint32_t cp, min;
        if (c == 0)
            return -1;
        if (c < 0x80) {
            i++;
            count++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            cp = c & 0x1F;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            cp = c & 0x0F;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return -1; /* continuation byte, C0/C1 overlong lead, or F5..FF */
        }
        if (len - i <= need)
            return -1; /* truncated sequence */
        for (size_t k = 1; k <= need; k++) {
            unsigned cc = p[i + k];
            if ((cc & 0xC0) != 0x80)
                return -1;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return -1; /* overlong, out of range, or a UTF-16 surrogate */
        i += need + 1;
        count++;
    }
    return count;
}

static unsigned char ascii_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Bytewise compare of lower(pw[0..len)) with the NUL-terminated lowercase entry. Not constant
 * time: the candidate is the user's own new password, checked once at registration. */
static int common_cmp(const char *pw, size_t len, const char *entry)
{
    size_t i = 0;
    for (; i < len; i++) {
        unsigned char a = ascii_lower((unsigned char)pw[i]);
        unsigned char b = (unsigned char)entry[i];
        if (b == 0)
            return 1; /* entry is a proper prefix of pw */
        if (a != b)
            return a < b ? -1 : 1;
    }
    return entry[i] == 0 ? 0 : -1;
}

int password_is_common(const char *pw, size_t len)
{
    size_t lo = 0, hi = sizeof common_table / sizeof common_table[0];
    if (!pw)
        return 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = common_cmp(pw, len, common_table[mid]);
        if (c == 0)
            return 1;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

const char *const *password__common_table(size_t *count)
{
    if (count)
        *count = sizeof common_table / sizeof common_table[0];
    return common_table;
}

const char *password__dummy_hash(void)
{
    return dummy_hash;
}

enum password_verdict password_check_policy(const char *pw, size_t len)
{
    long n;
    if (len > PASSWORD_MAX_BYTES)
        return PASSWORD_TOO_LONG; /* before decoding: bounded work whatever the input */
    n = password_utf8_count(pw, len);
    if (n < 0)
        return PASSWORD_BAD_ENCODING;
    if (n < PASSWORD_MIN_CHARS)
        return PASSWORD_TOO_SHORT;
    if (n > PASSWORD_MAX_CHARS)
        return PASSWORD_TOO_LONG;
    if (password_is_common(pw, len))
        return PASSWORD_COMMON;
    return PASSWORD_OK;
}

int password_hash_with(const char *pw, size_t len, uint32_t t, uint32_t m_kib,
                       char out[PASSWORD_HASH_MAX])
{
    int err = 0;
    if (!out || (!pw && len) || t < 1 || m_kib < 8 || m_kib > (UINT32_MAX / 1024u))
        return RR_ERR_INVAL;
    out[0] = '\0';
    if (len > PASSWORD_MAX_BYTES)
        return RR_ERR_TOOBIG;
    err = sodium_ready();
    if (err)
        goto out;
    if (crypto_pwhash_argon2id_str(out, pw ? pw : "", len, t, (size_t)m_kib * 1024u) != 0) {
        err = RR_ERR_NOMEM; /* libsodium's only run-time failure is the memory allocation */
        out[0] = '\0';
    }
out:
    return err;
}

int password_hash(const char *pw, size_t len, char out[PASSWORD_HASH_MAX])
{
    return password_hash_with(pw, len, PASSWORD_T, PASSWORD_M_KIB, out);
}

/* Read a decimal uint32 at *p, advancing it; 0 or -1. No sign, no leading zeros beyond "0". */
static int parse_u32(const char **p, uint32_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9') {
        v = v * 10u + (uint64_t)(s[n] - '0');
        if (v > UINT32_MAX)
            return -1;
        n++;
    }
    if (n == 0 || (n > 1 && s[0] == '0'))
        return -1;
    *out = (uint32_t)v;
    *p = s + n;
    return 0;
}

static int expect_lit(const char **p, const char *lit)
{
    size_t n = strlen(lit);
    if (strncmp(*p, lit, n) != 0) /* cmp-ok: parses the public hash format, no secret */
        return -1;
    *p += n;
    return 0;
}

static int is_b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

/* A run of at least min unpadded standard-base64 characters; advances *p. */
static int expect_b64(const char **p, size_t min)
{
    size_t n = 0;
    while (is_b64_char((*p)[n]))
        n++;
    if (n < min)
        return -1;
    *p += n;
    return 0;
}

int password_parse_params(const char *stored, struct password_params *out)
{
    struct password_params pp;
    const char *p = stored;
    if (!stored || !out)
        return RR_ERR_INVAL;
    memset(out, 0, sizeof *out);
    if (strnlen(stored, PASSWORD_HASH_MAX) >= PASSWORD_HASH_MAX)
        return RR_ERR_CORRUPT;
    if (expect_lit(&p, "$argon2id$v=") || parse_u32(&p, &pp.version) || expect_lit(&p, "$m=") ||
        parse_u32(&p, &pp.m_kib) || expect_lit(&p, ",t=") || parse_u32(&p, &pp.t) ||
        expect_lit(&p, ",p=") || parse_u32(&p, &pp.p) || expect_lit(&p, "$") ||
        expect_b64(&p, 11) || expect_lit(&p, "$") || expect_b64(&p, 16) || *p != '\0')
        return RR_ERR_CORRUPT;
    if (pp.t == 0 || pp.p == 0 || pp.m_kib == 0)
        return RR_ERR_CORRUPT;
    *out = pp;
    return 0;
}

int password_needs_rehash(const char *stored)
{
    struct password_params pp;
    if (password_parse_params(stored, &pp) != 0)
        return 1;
    if (pp.version != 19 || pp.m_kib < PASSWORD_M_KIB || pp.t < PASSWORD_T)
        return 1;
    return 0;
}

int password_verify(const char *stored, const char *pw, size_t len)
{
    struct password_params pp;
    char copy[PASSWORD_HASH_MAX]; /* libsodium's prototype reads a full STRBYTES array */
    int err;
    if (!stored || (!pw && len))
        return RR_ERR_INVAL;
    err = password_parse_params(stored, &pp);
    if (err)
        return err;
    /* A hash we would never make (ridiculous cost) must not become a denial of service. */
    if (pp.p != 1 || pp.t > 64 || pp.m_kib > 1024u * 1024u)
        return RR_ERR_CORRUPT;
    if (len > PASSWORD_MAX_BYTES)
        return RR_ERR_UNAUTHENTICATED;
    err = sodium_ready();
    if (err)
        return err;
    memset(copy, 0, sizeof copy);
    memcpy(copy, stored, strlen(stored)); /* < PASSWORD_HASH_MAX, checked by the parser */
    if (crypto_pwhash_argon2id_str_verify(copy, pw ? pw : "", len) != 0)
        return RR_ERR_UNAUTHENTICATED;
    return 0;
}

int password_verify_dummy(const char *pw, size_t len)
{
    if (len > PASSWORD_MAX_BYTES)
        return RR_ERR_UNAUTHENTICATED;
    if (sodium_ready() == 0 &&
        crypto_pwhash_argon2id_str_verify(dummy_hash, pw ? pw : "", pw ? len : 0) == 0)
        return RR_ERR_UNAUTHENTICATED; /* same answer either way: there is no such user */
    return RR_ERR_UNAUTHENTICATED;
}

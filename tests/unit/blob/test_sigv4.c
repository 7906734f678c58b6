/*
 * test_sigv4.c - the SigV4 signer against AWS's published vectors.
 *
 * Sources of the expected values (copied here as data, with the inputs they belong to):
 *  - "Signature Version 4 Test Suite" (aws-sig-v4-test-suite, formerly in the AWS General
 *    Reference; the same files ship in bazelbuild/bazel third_party/aws-sig-v4-test-suite and
 *    awslabs/aws-c-auth tests/aws-signing-test-suite): credentials AKIDEXAMPLE /
 *    wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, region us-east-1, service "service",
 *    20150830T123600Z; cases get-vanilla, get-vanilla-query-order-key(-case),
 *    get-vanilla-utf8-query, get-unreserved, get-utf8, get-header-key-duplicate, post-vanilla,
 *    post-x-www-form-urlencoded (.creq, .sts and .authz files).
 *  - Amazon S3 API Reference, "Signature Calculations for the Authorization Header: Transferring
 *    Payload in a Single Chunk (AWS Signature Version 4)", examples GET Object (Range),
 *    PUT Object, GET Bucket Lifecycle, Get Bucket (List Objects), and "Authenticating Requests:
 *    Using Query Parameters (AWS Signature Version 4)" (presigned GET): credentials
 *    AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, examplebucket,
 *    us-east-1, 20130524T000000Z.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include <sodium.h>

#include "base/rr_buf.h"
#include "base/rr_error.h"
#include "blob/sigv4.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct sigv4_credentials suite = {
    "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service"};
static const char suite_date[] = "20150830T123600Z";

static const struct sigv4_credentials s3 = {
    "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", "s3"};
static const char s3_date[] = "20130524T000000Z";

static void expect_signature(const struct sigv4_credentials *c, const char *date,
                             const struct sigv4_request *req, const char *want_sig)
{
    struct sigv4_result r;
    assert_int_equal(sigv4_sign(c, date, req, &r), 0);
    assert_string_equal(r.signature, want_sig);
}

static void expect_canonical(const struct sigv4_request *req, const char *want)
{
    struct rr_buf b;
    rr_buf_init(&b, NULL, 0, 1 << 16);
    assert_int_equal(sigv4_canonical_request(req, &b, NULL), 0);
    assert_string_equal(rr_buf_data(&b), want);
    rr_buf_release(&b);
}

static void expect_sts(const struct sigv4_credentials *c, const char *date,
                       const struct sigv4_request *req, const char *want)
{
    struct rr_buf cr, sts;
    rr_buf_init(&cr, NULL, 0, 1 << 16);
    rr_buf_init(&sts, NULL, 0, 1 << 16);
    assert_int_equal(sigv4_canonical_request(req, &cr, NULL), 0);
    assert_int_equal(sigv4_string_to_sign(c, date, rr_buf_data(&cr), &sts), 0);
    assert_string_equal(rr_buf_data(&sts), want);
    rr_buf_release(&cr);
    rr_buf_release(&sts);
}

/* ---- aws-sig-v4-test-suite -------------------------------------------------------------- */

static const struct sigv4_pair vanilla_headers[] = {
    {"Host", "example.amazonaws.com"},
    {"X-Amz-Date", "20150830T123600Z"},
};

static void sigv4__suite_get_vanilla(void **state)
{
    (void)state;
    struct sigv4_request req = {
        "GET", "/", NULL, 0, vanilla_headers, N(vanilla_headers), SIGV4_EMPTY_SHA256};
    expect_canonical(&req, "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                           "host;x-amz-date\n" SIGV4_EMPTY_SHA256);
    expect_sts(&suite, suite_date, &req,
               "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
               "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
    struct sigv4_result r;
    assert_int_equal(sigv4_sign(&suite, suite_date, &req, &r), 0);
    assert_string_equal(
        r.authorization,
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
        "aws4_request, SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

static void sigv4__suite_post_vanilla(void **state)
{
    (void)state;
    struct sigv4_request req = {
        "POST", "/", NULL, 0, vanilla_headers, N(vanilla_headers), SIGV4_EMPTY_SHA256};
    expect_signature(&suite, suite_date, &req,
                     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

static void sigv4__suite_sorts_query_by_key_case(void **state)
{
    (void)state;
    /* get-vanilla-query-order-key-case: GET /?Param2=value2&Param1=value1 */
    const struct sigv4_pair q[] = {{"Param2", "value2"}, {"Param1", "value1"}};
    struct sigv4_request req = {
        "GET", "/", q, N(q), vanilla_headers, N(vanilla_headers), SIGV4_EMPTY_SHA256};
    expect_signature(&suite, suite_date, &req,
                     "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

static void sigv4__suite_sorts_repeated_keys_by_value(void **state)
{
    (void)state;
    /* get-vanilla-query-order-key: GET /?Param1=value2&Param1=Value1 */
    const struct sigv4_pair q[] = {{"Param1", "value2"}, {"Param1", "Value1"}};
    struct sigv4_request req = {
        "GET", "/", q, N(q), vanilla_headers, N(vanilla_headers), SIGV4_EMPTY_SHA256};
    expect_canonical(&req, "GET\n/\nParam1=Value1&Param1=value2\nhost:example.amazonaws.com\n"
                           "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" SIGV4_EMPTY_SHA256);
    expect_sts(&suite, suite_date, &req,
               "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
               "704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89");
    expect_signature(&suite, suite_date, &req,
                     "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1");
}

static void sigv4__suite_encodes_utf8_query(void **state)
{
    (void)state;
    /* get-vanilla-utf8-query: GET /?\u1234=bar */
    const struct sigv4_pair q[] = {{"\xe1\x88\xb4", "bar"}};
    struct sigv4_request req = {
        "GET", "/", q, N(q), vanilla_headers, N(vanilla_headers), SIGV4_EMPTY_SHA256};
    expect_signature(&suite, suite_date, &req,
                     "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04");
}

static void sigv4__suite_keeps_unreserved_path_bytes(void **state)
{
    (void)state;
    struct sigv4_request req = {
        "GET",
        "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        NULL,
        0,
        vanilla_headers,
        N(vanilla_headers),
        SIGV4_EMPTY_SHA256};
    expect_signature(&suite, suite_date, &req,
                     "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f");
}

static void sigv4__suite_encodes_utf8_path(void **state)
{
    (void)state;
    struct sigv4_request req = {
        "GET", "/\xe1\x88\xb4", NULL, 0, vanilla_headers, N(vanilla_headers), SIGV4_EMPTY_SHA256};
    struct rr_buf b;
    rr_buf_init(&b, NULL, 0, 4096);
    assert_int_equal(sigv4_canonical_request(&req, &b, NULL), 0);
    assert_non_null(strstr(rr_buf_data(&b), "GET\n/%E1%88%B4\n"));
    rr_buf_release(&b);
    expect_signature(&suite, suite_date, &req,
                     "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
}

static void sigv4__suite_joins_repeated_headers(void **state)
{
    (void)state;
    /* get-header-key-duplicate: My-Header1 sent three times, values joined in order */
    const struct sigv4_pair h[] = {
        {"Host", "example.amazonaws.com"},  {"My-Header1", "value2"},
        {"My-Header1", "value2"},           {"My-Header1", "value1"},
        {"X-Amz-Date", "20150830T123600Z"},
    };
    struct sigv4_request req = {"GET", "/", NULL, 0, h, N(h), SIGV4_EMPTY_SHA256};
    expect_canonical(
        &req, "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\n"
              "x-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n" SIGV4_EMPTY_SHA256);
    expect_signature(&suite, suite_date, &req,
                     "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea");
}

static void sigv4__suite_post_form_urlencoded(void **state)
{
    (void)state;
    static const char body[] = "Param1=value1";
    char hash[SIGV4_HEX_LEN + 1];
    sigv4_sha256_hex(body, strlen(body), hash);
    assert_string_equal(hash, "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
    const struct sigv4_pair h[] = {
        {"Content-Type", "application/x-www-form-urlencoded"},
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"},
    };
    struct sigv4_request req = {"POST", "/", NULL, 0, h, N(h), hash};
    expect_canonical(&req, "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\n"
                           "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                           "content-type;host;x-amz-date\n"
                           "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
    expect_sts(&suite, suite_date, &req,
               "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
               "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281");
    struct sigv4_result r;
    assert_int_equal(sigv4_sign(&suite, suite_date, &req, &r), 0);
    assert_string_equal(
        r.authorization,
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
        "aws4_request, SignedHeaders=content-type;host;x-amz-date, "
        "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

/* ---- S3 documentation examples ------------------------------------------------------------ */

static void sigv4__s3_get_object_with_range(void **state)
{
    (void)state;
    const struct sigv4_pair h[] = {
        {"Host", "examplebucket.s3.amazonaws.com"},
        {"Range", "bytes=0-9"},
        {"x-amz-content-sha256", SIGV4_EMPTY_SHA256},
        {"x-amz-date", "20130524T000000Z"},
    };
    struct sigv4_request req = {"GET", "/test.txt", NULL, 0, h, N(h), SIGV4_EMPTY_SHA256};
    expect_canonical(&req, "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\n"
                           "range:bytes=0-9\nx-amz-content-sha256:" SIGV4_EMPTY_SHA256 "\n"
                           "x-amz-date:20130524T000000Z\n\n"
                           "host;range;x-amz-content-sha256;x-amz-date\n" SIGV4_EMPTY_SHA256);
    expect_sts(&s3, s3_date, &req,
               "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
               "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
    struct sigv4_result r;
    assert_int_equal(sigv4_sign(&s3, s3_date, &req, &r), 0);
    assert_string_equal(r.signature,
                        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    assert_string_equal(r.signed_headers, "host;range;x-amz-content-sha256;x-amz-date");
}

static void sigv4__s3_put_object(void **state)
{
    (void)state;
    static const char body[] = "Welcome to Amazon S3.";
    char hash[SIGV4_HEX_LEN + 1];
    sigv4_sha256_hex(body, strlen(body), hash);
    assert_string_equal(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    const struct sigv4_pair h[] = {
        {"Host", "examplebucket.s3.amazonaws.com"},
        {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
        {"x-amz-date", "20130524T000000Z"},
        {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
        {"x-amz-content-sha256", hash},
    };
    /* the key "test$file.text": '$' is encoded in the canonical URI */
    struct sigv4_request req = {"PUT", "/test$file.text", NULL, 0, h, N(h), hash};
    expect_canonical(&req, "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\n"
                           "host:examplebucket.s3.amazonaws.com\n"
                           "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e4"
                           "2034a8b803f8b072\nx-amz-date:20130524T000000Z\n"
                           "x-amz-storage-class:REDUCED_REDUNDANCY\n\n"
                           "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
                           "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    expect_sts(&s3, s3_date, &req,
               "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
               "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
    expect_signature(&s3, s3_date, &req,
                     "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

static const struct sigv4_pair s3_bucket_headers[] = {
    {"Host", "examplebucket.s3.amazonaws.com"},
    {"x-amz-content-sha256", SIGV4_EMPTY_SHA256},
    {"x-amz-date", "20130524T000000Z"},
};

static void sigv4__s3_get_bucket_lifecycle(void **state)
{
    (void)state;
    const struct sigv4_pair q[] = {{"lifecycle", NULL}};
    struct sigv4_request req = {
        "GET", "/", q, N(q), s3_bucket_headers, N(s3_bucket_headers), SIGV4_EMPTY_SHA256};
    expect_canonical(&req, "GET\n/\nlifecycle=\nhost:examplebucket.s3.amazonaws.com\n"
                           "x-amz-content-sha256:" SIGV4_EMPTY_SHA256 "\n"
                           "x-amz-date:20130524T000000Z\n\n"
                           "host;x-amz-content-sha256;x-amz-date\n" SIGV4_EMPTY_SHA256);
    expect_signature(&s3, s3_date, &req,
                     "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

static void sigv4__s3_list_objects(void **state)
{
    (void)state;
    const struct sigv4_pair q[] = {{"prefix", "J"}, {"max-keys", "2"}};
    struct sigv4_request req = {
        "GET", "/", q, N(q), s3_bucket_headers, N(s3_bucket_headers), SIGV4_EMPTY_SHA256};
    expect_canonical(&req, "GET\n/\nmax-keys=2&prefix=J\nhost:examplebucket.s3.amazonaws.com\n"
                           "x-amz-content-sha256:" SIGV4_EMPTY_SHA256 "\n"
                           "x-amz-date:20130524T000000Z\n\n"
                           "host;x-amz-content-sha256;x-amz-date\n" SIGV4_EMPTY_SHA256);
    expect_signature(&s3, s3_date, &req,
                     "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

static void sigv4__s3_presigned_get(void **state)
{
    (void)state;
    const struct sigv4_pair h[] = {{"Host", "examplebucket.s3.amazonaws.com"}};
    struct sigv4_request req = {"GET", "/test.txt", NULL, 0, h, N(h), NULL};
    struct rr_buf b;
    rr_buf_init(&b, NULL, 0, 4096);
    assert_int_equal(sigv4_presign(&s3, s3_date, 86400, &req, &b), 0);
    assert_string_equal(rr_buf_data(&b),
                        "X-Amz-Algorithm=AWS4-HMAC-SHA256"
                        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"
                        "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400"
                        "&X-Amz-SignedHeaders=host"
                        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751"
                        "f604d404");
    rr_buf_release(&b);
    /* its string to sign as documented */
    const struct sigv4_pair q[] = {
        {"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
        {"X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"},
        {"X-Amz-Date", "20130524T000000Z"},
        {"X-Amz-Expires", "86400"},
        {"X-Amz-SignedHeaders", "host"},
    };
    struct sigv4_request full = {"GET", "/test.txt", q, N(q), h, N(h), SIGV4_UNSIGNED_PAYLOAD};
    expect_sts(&s3, s3_date, &full,
               "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
               "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04");
}

/* ---- our own rules ------------------------------------------------------------------------ */

static void sigv4__every_input_byte_changes_the_signature(void **state)
{
    (void)state;
    const struct sigv4_pair h[] = {{"Host", "examplebucket.s3.amazonaws.com"},
                                   {"Range", "bytes=0-9"},
                                   {"x-amz-content-sha256", SIGV4_EMPTY_SHA256},
                                   {"x-amz-date", "20130524T000000Z"}};
    const struct sigv4_pair h2[] = {{"Host", "examplebucket.s3.amazonaws.com"},
                                    {"Range", "bytes=0-8"},
                                    {"x-amz-content-sha256", SIGV4_EMPTY_SHA256},
                                    {"x-amz-date", "20130524T000000Z"}};
    struct sigv4_request req = {"GET", "/test.txt", NULL, 0, h, N(h), SIGV4_EMPTY_SHA256};
    struct sigv4_result a, b;
    assert_int_equal(sigv4_sign(&s3, s3_date, &req, &a), 0);
    req.path = "/test.txu";
    assert_int_equal(sigv4_sign(&s3, s3_date, &req, &b), 0);
    assert_string_not_equal(a.signature, b.signature);
    req.path = "/test.txt";
    req.headers = h2;
    assert_int_equal(sigv4_sign(&s3, s3_date, &req, &b), 0);
    assert_string_not_equal(a.signature, b.signature);
    req.headers = h;
    struct sigv4_credentials other = s3;
    other.secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ";
    assert_int_equal(sigv4_sign(&other, s3_date, &req, &b), 0);
    assert_string_not_equal(a.signature, b.signature);
    /* the secret never appears in what goes on the wire */
    assert_null(strstr(a.authorization, s3.secret_key));
}

static void sigv4__refuses_bad_input(void **state)
{
    (void)state;
    struct sigv4_result r;
    struct rr_buf b;
    const struct sigv4_pair h[] = {{"Host", "x"}};
    const struct sigv4_pair bad_h[] = {{"Bad Name", "x"}};
    struct sigv4_request req = {"GET", "/k", NULL, 0, h, N(h), SIGV4_EMPTY_SHA256};
    assert_int_equal(sigv4_sign(&s3, "2013-05-24", &req, &r), RR_ERR_INVAL);
    struct sigv4_credentials nokey = s3;
    nokey.secret_key = "";
    assert_int_equal(sigv4_sign(&nokey, s3_date, &req, &r), RR_ERR_INVAL);
    req.path = "k";
    assert_int_equal(sigv4_sign(&s3, s3_date, &req, &r), RR_ERR_INVAL);
    req.path = "/k";
    req.headers = bad_h;
    assert_int_equal(sigv4_sign(&s3, s3_date, &req, &r), RR_ERR_INVAL);
    req.headers = h;
    rr_buf_init(&b, NULL, 0, 4096);
    assert_int_equal(sigv4_presign(&s3, s3_date, 0, &req, &b), RR_ERR_INVAL);
    assert_int_equal(sigv4_presign(&s3, s3_date, SIGV4_PRESIGN_MAX_SECONDS + 1, &req, &b),
                     RR_ERR_INVAL);
    struct sigv4_pair many[SIGV4_MAX_PARAMS + 1];
    for (size_t i = 0; i < N(many); i++)
        many[i] = (struct sigv4_pair){"a", "b"};
    req.query = many;
    req.nquery = N(many);
    assert_int_equal(sigv4_canonical_query(&req, &b), RR_ERR_TOOBIG);
    rr_buf_release(&b);
}

static void sigv4__formats_amz_dates(void **state)
{
    (void)state;
    char d[SIGV4_DATE_LEN + 1];
    sigv4_amz_date(1369353600, d);
    assert_string_equal(d, "20130524T000000Z");
    sigv4_amz_date(1440938160, d);
    assert_string_equal(d, "20150830T123600Z");
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sigv4__suite_get_vanilla),
        cmocka_unit_test(sigv4__suite_post_vanilla),
        cmocka_unit_test(sigv4__suite_sorts_query_by_key_case),
        cmocka_unit_test(sigv4__suite_sorts_repeated_keys_by_value),
        cmocka_unit_test(sigv4__suite_encodes_utf8_query),
        cmocka_unit_test(sigv4__suite_keeps_unreserved_path_bytes),
        cmocka_unit_test(sigv4__suite_encodes_utf8_path),
        cmocka_unit_test(sigv4__suite_joins_repeated_headers),
        cmocka_unit_test(sigv4__suite_post_form_urlencoded),
        cmocka_unit_test(sigv4__s3_get_object_with_range),
        cmocka_unit_test(sigv4__s3_put_object),
        cmocka_unit_test(sigv4__s3_get_bucket_lifecycle),
        cmocka_unit_test(sigv4__s3_list_objects),
        cmocka_unit_test(sigv4__s3_presigned_get),
        cmocka_unit_test(sigv4__every_input_byte_changes_the_signature),
        cmocka_unit_test(sigv4__refuses_bad_input),
        cmocka_unit_test(sigv4__formats_amz_dates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

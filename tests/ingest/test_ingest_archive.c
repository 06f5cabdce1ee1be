/* Archive reader: tar (plain, gzip, zstd, xz) and zip archives made by the tar and zip tools,
 * with .txt, .jsonl, .json and compressed members; other members skipped and counted;
 * member names that point outside are only data; damaged archives and members. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/io.h"
#include "ingest/reader.h"
#include "readers_util.h"
#include "tests/harness/mn_test.h"

static int make_members(void) {
    static int made = -1;
    if (made >= 0)
        return made;
    made =
        rt_sh("mkdir -p arc/docs/sub && cd arc && "
              "printf 'Plain member text.\\n' > docs/a.txt && "
              "printf '{\"text\":\"j1\",\"id\":\"x1\"}\\n{\"text\":\"j2\"}\\n' > docs/b.jsonl && "
              "printf '[{\"text\":\"arr1\"},{\"text\":\"arr2\"}]' > docs/c.json && "
              "printf '{\"text\":\"gz member\"}\\n' | gzip > docs/d.jsonl.gz && "
              "printf '{\"text\":\"zst member\"}\\n' | zstd -q > docs/sub/e.jsonl.zst && "
              "printf 'PNG' > docs/f.png && ln -sf a.txt docs/link.txt && "
              "tar --sort=name -cf ../all.tar docs && tar --sort=name -czf ../all.tar.gz docs && "
              "tar --sort=name --zstd -cf ../all.tar.zst docs && "
              "tar --sort=name -cJf ../all.txz docs && "
              "find docs | sort | zip -q -y ../all.zip -@ && "
              "find docs | sort | zip -q -0 -y ../stored.zip -@")
            ? 0
            : 1;
    return made;
}

static void check_members(const rt_result *r, const char *name) {
    MN__COUNT();
    if (r->n_docs != 7) {
        MN__FAIL(false, "%s: %zu documents, expected 7", name, r->n_docs);
        return;
    }
    const char *texts[] = {
        "Plain member text.\n", "j1", "j2", "arr1", "arr2", "gz member", "zst member"};
    const char *locations[] = {"member docs/a.txt line 1",          "member docs/b.jsonl line 1",
                               "member docs/b.jsonl line 2",        "member docs/c.json element 0",
                               "member docs/c.json element 1",      "member docs/d.jsonl.gz line 1",
                               "member docs/sub/e.jsonl.zst line 1"};
    for (size_t i = 0; i < 7; i++) {
        MN_ASSERT_EQ_STR(r->docs[i].text, texts[i]);
        MN_ASSERT_EQ_STR(r->docs[i].location, locations[i]);
        MN_ASSERT_EQ_INT(r->docs[i].record, i);
    }
    MN_ASSERT_EQ_STR(r->docs[0].id, "docs/a.txt");
    MN_ASSERT_EQ_STR(r->docs[1].id, "x1");
    MN_ASSERT_TRUE(r->docs[2].id == NULL);
    MN_ASSERT_EQ_INT(r->n_errors, 1);
    if (r->n_errors == 1) {
        MN_ASSERT_EQ_STR(r->errors[0].reason, "unsupported_member");
        MN_ASSERT_TRUE(strstr(r->errors[0].message,
                              "member docs/f.png: not a .txt, .json or .jsonl file; skipped") !=
                       NULL);
    }
    /* docs/, docs/sub/ and the symbolic link. */
    MN_ASSERT_EQ_U64(rt_skipped(r, "archive_non_file"), 3);
}

static void test_tar_and_zip_archives_from_the_tools_read_every_member_kind(void) {
    MN_ASSERT_FATAL(make_members() == 0);
    const char *names[] = {"all.tar", "all.tar.gz", "all.tar.zst",
                           "all.txz", "all.zip",    "stored.zip"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        rt_result r;
        MN_ASSERT_FATAL(rt_read(mn_test_path(names[i]), NULL, &r));
        MN_ASSERT_EQ_INT(r.format, INGEST_FORMAT_ARCHIVE);
        check_members(&r, names[i]);
        uint64_t size;
        MN_ASSERT_OK(mn_file_size(mn_test_path(names[i]), &size));
        MN_ASSERT_EQ_U64(r.bytes_read, size);
        rt_free(&r);
    }
}

static void test_text_members_follow_the_split_options(void) {
    MN_ASSERT_FATAL(rt_sh("mkdir -p split && printf 'one\\n%%%%\\ntwo\\n' > split/f.txt && "
                          "tar -cf split.tar split/f.txt"));
    ingest_reader_options options = {.split_line = "%"};
    rt_result r;
    MN_ASSERT_FATAL(rt_read(mn_test_path("split.tar"), &options, &r));
    MN_ASSERT_EQ_INT(r.n_docs, 2);
    if (r.n_docs == 2) {
        MN_ASSERT_EQ_STR(r.docs[1].text, "two");
        MN_ASSERT_EQ_STR(r.docs[1].location, "member split/f.txt line 3");
        MN_ASSERT_TRUE(r.docs[1].id == NULL);
    }
    rt_free(&r);
}

static bool exists(const char *path) {
    return access(path, F_OK) == 0;
}

static size_t count_entries(const char *dir) {
    DIR *d = opendir(dir);
    size_t n = 0;
    if (d == NULL)
        return 0;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

static void test_member_names_pointing_outside_are_read_as_data_and_nothing_is_written(void) {
    bool etc_before = exists("/etc/x.txt");
    MN_ASSERT_FATAL(rt_sh("mkdir -p evil/w && cd evil/w && printf 'payload one' > x.txt && "
                          "tar -cPf ../evil.tar --transform 's,^,../../,' x.txt && "
                          "tar -rPf ../evil.tar --transform 's,^,/etc/,' x.txt && "
                          "zip -q ../evil.zip x.txt && "
                          "printf '@ x.txt\\n@=../../x.txt\\n' | zipnote -w ../evil.zip && "
                          "rm x.txt"));
    char parent[4096];
    snprintf(parent, sizeof parent, "%s/..", mn_test_tmpdir());
    size_t entries_before = count_entries(parent),
           evil_before = count_entries(mn_test_path("evil"));
    const char *names[] = {"evil/evil.tar", "evil/evil.zip"};
    for (int i = 0; i < 2; i++) {
        rt_result r;
        MN_ASSERT_FATAL(rt_read(mn_test_path(names[i]), NULL, &r));
        MN_ASSERT_EQ_INT(r.n_docs, i == 0 ? 2 : 1);
        MN_ASSERT_EQ_INT(r.n_errors, 0);
        if (r.n_docs >= 1) {
            MN_ASSERT_EQ_STR(r.docs[0].text, "payload one");
            MN_ASSERT_EQ_STR(r.docs[0].location, "member ../../x.txt line 1");
            MN_ASSERT_EQ_STR(r.docs[0].id, "../../x.txt");
        }
        if (i == 0 && r.n_docs == 2)
            MN_ASSERT_EQ_STR(r.docs[1].location, "member /etc/x.txt line 1");
        rt_free(&r);
    }
    /* Nothing appeared where the names point, nor anywhere near. */
    MN_ASSERT_TRUE(!exists(mn_test_path("evil/w/x.txt")));
    MN_ASSERT_TRUE(!exists(mn_test_path("x.txt")));
    MN_ASSERT_EQ_INT(count_entries(parent), entries_before);
    MN_ASSERT_EQ_INT(count_entries(mn_test_path("evil")), evil_before);
    MN_ASSERT_EQ_INT(exists("/etc/x.txt"), etc_before);
}

static void test_a_truncated_archive_ends_with_its_offset_after_the_intact_members(void) {
    MN_ASSERT_FATAL(
        rt_sh("mkdir -p big && for i in $(seq 1 40); do "
              "printf '{\"text\":\"member %%d\"}\\n' $i > big/m$(printf %%02d $i).jsonl; "
              "head -c 2000 /dev/urandom | base64 -w 0 | sed 's/.*/{\"pad\":\"&\"}/' "
              ">> big/m$(printf %%02d $i).jsonl; "
              "done && tar --sort=name -cf big.tar big && "
              "head -c 60000 big.tar > cut.tar && gzip -c big.tar > big.tar.gz && "
              "head -c $(( $(stat -c %%s big.tar.gz) / 2 )) big.tar.gz > cut.tar.gz"));
    const char *names[] = {"cut.tar", "cut.tar.gz"};
    for (int k = 0; k < 2; k++) {
        rt_result r;
        MN_ASSERT_FATAL(rt_read(mn_test_path(names[k]), NULL, &r));
        MN_ASSERT_TRUE(r.n_docs >= 5 && r.n_docs < 40);
        for (size_t i = 0; i < r.n_docs; i++) {
            char expected[32];
            snprintf(expected, sizeof expected, "member %zu", i + 1);
            MN_ASSERT_EQ_STR(r.docs[i].text, expected);
        }
        MN_ASSERT_TRUE(r.n_errors >= 1);
        if (r.n_errors >= 1) {
            const rt_error *last = &r.errors[r.n_errors - 1];
            MN_ASSERT_EQ_INT(last->status, MN_ERR_CORRUPT);
            MN_ASSERT_TRUE(strstr(last->message, names[k]) != NULL);
            MN_ASSERT_TRUE(strstr(last->message, "the rest of the file is skipped") != NULL);
        }
        rt_free(&r);
    }
}

static void test_a_damaged_compressed_member_loses_only_itself(void) {
    MN_ASSERT_FATAL(rt_sh("mkdir -p dmg && for i in $(seq 1 20000); do "
                          "printf '{\"text\":\"line %%d\"}\\n' $i; done | gzip > full.gz && "
                          "head -c $(( $(stat -c %%s full.gz) / 2 )) full.gz > dmg/a.jsonl.gz && "
                          "printf '\\037\\213\\010garbage' > dmg/b.jsonl.gz && "
                          "printf '{\"text\":\"after\"}\\n' > dmg/c.jsonl && "
                          "tar --sort=name -cf dmg.tar dmg"));
    rt_result r;
    MN_ASSERT_FATAL(rt_read(mn_test_path("dmg.tar"), NULL, &r));
    MN_ASSERT_TRUE(r.n_docs > 1000 && r.n_docs < 20000);
    if (r.n_docs > 1) {
        MN_ASSERT_EQ_STR(r.docs[0].text, "line 1");
        MN_ASSERT_EQ_STR(r.docs[0].location, "member dmg/a.jsonl.gz line 1");
        MN_ASSERT_EQ_STR(r.docs[r.n_docs - 1].text, "after");
        MN_ASSERT_EQ_STR(r.docs[r.n_docs - 1].location, "member dmg/c.jsonl line 1");
    }
    MN_ASSERT_EQ_INT(r.n_errors, 2);
    if (r.n_errors == 2) {
        MN_ASSERT_EQ_INT(r.errors[0].status, MN_ERR_FORMAT);
        MN_ASSERT_EQ_STR(r.errors[0].reason, "corrupt_member");
        MN_ASSERT_TRUE(strstr(r.errors[0].message, "member dmg/a.jsonl.gz after line") != NULL);
        MN_ASSERT_TRUE(strstr(r.errors[0].message, "the rest of the member is skipped") != NULL);
        /* Bytes that only start like gzip are not taken for it: read as they are. */
        MN_ASSERT_EQ_STR(r.errors[1].reason, "bad_json");
        MN_ASSERT_TRUE(strstr(r.errors[1].message, "member dmg/b.jsonl.gz line 1") != NULL);
    }
    rt_free(&r);
}

static const mn_test_case cases[] = {
    {"tar and zip archives from the tools read every member kind",
     test_tar_and_zip_archives_from_the_tools_read_every_member_kind},
    {"text members follow the split options", test_text_members_follow_the_split_options},
    {"member names pointing outside are read as data and nothing is written",
     test_member_names_pointing_outside_are_read_as_data_and_nothing_is_written},
    {"a truncated archive ends with its offset after the intact members",
     test_a_truncated_archive_ends_with_its_offset_after_the_intact_members},
    {"a damaged compressed member loses only itself",
     test_a_damaged_compressed_member_loses_only_itself},
    {0}};
static const mn_test_suite suites[] = {{"ingest_archive", cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main(argc, argv, suites);
}

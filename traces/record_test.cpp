#include "traces/record.h"

#include <gtest/gtest.h>

#include <limits>

using namespace unpop::traces;

TEST(ParseU64, DecimalAndHex) {
  EXPECT_EQ(parse_u64("0"), 0u);
  EXPECT_EQ(parse_u64("12"), 12u);
  EXPECT_EQ(parse_u64("0x8000a"), 0x8000au);
  EXPECT_EQ(parse_u64("0X8000A"), 0x8000au);
  EXPECT_EQ(parse_u64("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(parse_u64("0xffffffffffffffff"), std::numeric_limits<std::uint64_t>::max());
}

TEST(ParseU64, RejectsEverythingElse) {
  for (const char* s : {"", "0x", "-1", "+1", " 1", "1 ", "12a", "0x1g", "18446744073709551616",
                        "0x10000000000000000", "ffff", "1.5"})
    EXPECT_FALSE(parse_u64(s).has_value()) << s;
}

TEST(ParseHexU64, BareAndPrefixed) {
  EXPECT_EQ(parse_hex_u64("ffff800080957a78"), 0xffff800080957a78ull);
  EXPECT_EQ(parse_hex_u64("0x10"), 16u);
  EXPECT_FALSE(parse_hex_u64("xyz").has_value());
  EXPECT_FALSE(parse_hex_u64("").has_value());
}

TEST(ParseS64, NegativeDecimalsAndLimits) {
  EXPECT_EQ(parse_s64("-12"), -12);
  EXPECT_EQ(parse_s64("0"), 0);
  EXPECT_EQ(parse_s64("0x10"), 16);
  EXPECT_EQ(parse_s64("-9223372036854775808"), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(parse_s64("9223372036854775807"), std::numeric_limits<std::int64_t>::max());
  EXPECT_FALSE(parse_s64("9223372036854775808").has_value());
  EXPECT_FALSE(parse_s64("-9223372036854775809").has_value());
  EXPECT_FALSE(parse_s64("-").has_value());
  EXPECT_FALSE(parse_s64("--1").has_value());
}

TEST(ParseQuoted, Escapes) {
  EXPECT_EQ(parse_quoted("\"Xen scratch\""), "Xen scratch");
  EXPECT_EQ(parse_quoted("\"\""), "");
  EXPECT_EQ(parse_quoted(R"("a\"b\\c\n\t\x41\101")"), std::string("a\"b\\c\n\tAA"));
  EXPECT_FALSE(parse_quoted("\"abc").has_value());
  EXPECT_FALSE(parse_quoted("abc\"").has_value());
  EXPECT_FALSE(parse_quoted("\"a\"b\"").has_value());
  EXPECT_FALSE(parse_quoted(R"("a\")").has_value());
  EXPECT_FALSE(parse_quoted(R"("\q")").has_value());
  EXPECT_FALSE(parse_quoted("\"").has_value());
}

TEST(FieldList, TypedAccessorsAndReuse) {
  FieldList f;
  f.add("pfn", "0x47fff");
  f.add("ret", "-12");
  f.add("dev", "\"xen grant\"");
  f.add("kind", "ext");
  EXPECT_EQ(f.size(), 4u);
  EXPECT_EQ(f.u64("pfn"), 0x47fffu);
  EXPECT_EQ(f.s64("ret"), -12);
  EXPECT_FALSE(f.u64("ret").has_value());
  EXPECT_EQ(f.str("dev"), "xen grant");
  EXPECT_EQ(f.str("kind"), "ext");
  EXPECT_EQ(f.raw("dev"), "\"xen grant\"");
  EXPECT_FALSE(f.u64("missing").has_value());
  EXPECT_FALSE(f.has("missing"));
  f.clear();
  EXPECT_TRUE(f.empty());
  f.add("a", "1");
  EXPECT_EQ(f.size(), 1u);
  EXPECT_FALSE(f.has("pfn"));
  EXPECT_EQ(f[0].key, "a");
}

TEST(ReadError, MessageNamesFileLineColumnAndEscapes) {
  ReadError e;
  e.file = "t.txt";
  e.line = 9;
  e.column = 4;
  e.expected = "key=value";
  e.found = "x\ty";
  EXPECT_EQ(e.message(), "t.txt:9:4: expected key=value; found 'x\\x09y'");
  ReadError b;
  b.file = "t.dat";
  b.byte_offset = 37;
  b.expected = "section";
  EXPECT_EQ(b.message(), "t.dat: at byte 37: expected section");
}

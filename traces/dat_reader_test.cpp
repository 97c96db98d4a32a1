#include "traces/dat_reader.h"

#include <gtest/gtest.h>

#include "traces/dat_layout.h"

using namespace unpop::traces;

TEST(DatLayout, RejectsNonTraceDat) {
  DatLayout l;
  std::string what;
  std::uint64_t off = 0;
  EXPECT_FALSE(check_dat_layout("not a trace", l, what, off));
  EXPECT_NE(what.find("magic"), std::string::npos);
  EXPECT_FALSE(check_dat_layout(std::string_view("\x17\x08\x44tracing9\0", 12), l, what, off));
  EXPECT_NE(what.find("version 6 or 7"), std::string::npos);
  EXPECT_FALSE(check_dat_layout(std::string_view("\x17\x08\x44tracing6\0\0\x08", 14), l, what, off));
  EXPECT_NE(what.find("truncated"), std::string::npos);
}

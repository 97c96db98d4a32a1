// Stage 1: a record -> the contract event. Every field's error names the file and the line,
// and decoding itself never throws (the error comes where the replay reads the field).
#include "traces/replay/decode.h"

#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "traces/replay/test_support.h"

namespace unpop::replay {
namespace {

using test::records;

// The records are kept beside the event: it points into its record.
struct Decoded {
  std::vector<traces::Record> recs;
  Event ev;
};

Decoded decode_line(const std::string& body, std::size_t blank_lines = 0) {
  Decoded d;
  std::string text(blank_lines, '\n');  // puts the event at line blank_lines + 1
  text += test::line("gntdev", 212, 1, 3000000, body);
  d.recs = records(text, "dir/t.txt");
  decode(d.recs.back(), d.ev);
  return d;
}

// The InputError `read` throws: its file, line and message.
InputError error_of(const std::function<void()>& read) {
  try {
    read();
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "no InputError";
  return {};
}

TEST(ReplayDecode, KindOfEveryContractEvent) {
  for (Ev e : {Ev::region, Ev::init, Ev::alloc_page, Ev::free_page, Ev::dma_alloc_page, Ev::dma_free_page,
               Ev::fill_list, Ev::alloc, Ev::free, Ev::dma_alloc, Ev::dma_free})
    EXPECT_EQ(event_kind(event_name(e)), e) << event_name(e);
  EXPECT_EQ(event_kind("xen_unpop_allocx"), Ev::unknown);  // same length as xen_unpop_region
  EXPECT_EQ(event_kind("xen_unpop_frob"), Ev::unknown);     // same length as xen_unpop_init
  EXPECT_EQ(event_kind("xen_unpop_"), Ev::unknown);
  EXPECT_EQ(event_kind("sched_switch"), Ev::other);
  EXPECT_EQ(event_kind("xen_unpo"), Ev::other);
}

TEST(ReplayDecode, FieldsOfASummary) {
  auto d = decode_line("xen_unpop_dma_alloc: dev=gntdev nr_pages=0x3 ret=-12 list_count=7");
  EXPECT_EQ(d.ev.kind, Ev::dma_alloc);
  EXPECT_EQ(d.ev.path(), Path::dma);
  EXPECT_EQ(d.ev.nr_pages(), 3u);
  EXPECT_EQ(d.ev.ret(), -12);
  EXPECT_EQ(d.ev.list_count(), 7u);
  EXPECT_EQ(d.ev.dev(), "gntdev");
  EXPECT_FALSE(d.ev.probe());
  auto plain = decode_line("xen_unpop_free: nr_pages=1");
  EXPECT_EQ(plain.ev.path(), Path::plain);
  EXPECT_EQ(plain.ev.ret(), std::nullopt);
  EXPECT_EQ(plain.ev.list_count(), std::nullopt);
  EXPECT_EQ(decode_line("xen_unpop_dma_free: nr_pages=1").ev.dev(), "dma");  // dev= absent
}

TEST(ReplayDecode, GrowthNameAndPool) {
  auto d = decode_line("xen_unpop_fill_list: nr_pages=1 start=0x48000000 end=0x4fffffff ret=0 name=\"Xen DMA pool\"");
  EXPECT_EQ(d.ev.start(), 0x48000000u);
  EXPECT_EQ(d.ev.end(), 0x4fffffffu);
  EXPECT_EQ(d.ev.name(), "Xen DMA pool");
  EXPECT_FALSE(d.ev.has_pool());
  auto p = decode_line("xen_unpop_fill_list: nr_pages=1 start=0x48000000 end=0x4fffffff ret=0 pool=dma");
  EXPECT_TRUE(p.ev.has_pool());
  EXPECT_EQ(p.ev.pool(), "dma");
}

TEST(ReplayDecode, ProbeEntryAndReturn) {
  auto entry = decode_line("xen_unpop_free: (xen_free_unpopulated_pages+0x0/0xb0) nr_pages=2");
  EXPECT_TRUE(entry.ev.probe());
  EXPECT_TRUE(entry.ev.probe_entry());
  auto ret = decode_line("xen_unpop_alloc: (gnttab_alloc_pages+0x28/0x98 <- xen_alloc_unpopulated_pages) ret=0");
  EXPECT_TRUE(ret.ev.probe());
  EXPECT_FALSE(ret.ev.probe_entry());
}

TEST(ReplayDecode, PageArrayEntries) {
  auto d = decode_line("xen_unpop_free: nr_pages=3 pages={0xfffffc0000000040,4096,fffffc0000000080}");
  ASSERT_TRUE(d.ev.has_pages());
  ASSERT_TRUE(d.ev.pages_braced());
  ASSERT_EQ(d.ev.pages().size(), 3u);
  EXPECT_EQ(d.ev.pages()[0].value, 0xfffffc0000000040u);
  EXPECT_EQ(d.ev.pages()[1].value, 4096u);                // decimal
  EXPECT_EQ(d.ev.pages()[2].value, 0xfffffc0000000080u);  // bare hex
  auto bad = decode_line("xen_unpop_free: nr_pages=2 pages={0x40,zz}");
  ASSERT_EQ(bad.ev.pages().size(), 2u);
  EXPECT_EQ(bad.ev.pages()[1].value, std::nullopt);
  EXPECT_EQ(bad.ev.pages()[1].text, "zz");
  auto open = decode_line("xen_unpop_free: nr_pages=2 pages=0x40");
  EXPECT_TRUE(open.ev.has_pages());
  EXPECT_FALSE(open.ev.pages_braced());
}

// A page event reads page= only without pfn=; a malformed pfn= is the error.
TEST(ReplayDecode, PfnWinsOverPage) {
  auto d = decode_line("xen_unpop_alloc_page: pfn=0x4ffff page=zz");
  EXPECT_EQ(d.ev.pfn(), 0x4ffffu);
  EXPECT_EQ(d.ev.page(), std::nullopt);
  auto p = decode_line("xen_unpop_alloc_page: page=0xfffffc0000000040");
  EXPECT_EQ(p.ev.pfn(), std::nullopt);
  EXPECT_EQ(p.ev.page(), 0xfffffc0000000040u);
}

// Decoding keeps a malformed number; the accessor throws the contract's error, naming the
// file, the line and what was expected.
TEST(ReplayDecode, MalformedNumbersNameFileLineAndField) {
  struct Case {
    const char* body;
    std::function<void(const Event&)> read;
    const char* message;
  };
  const Case cases[] = {
      {"xen_unpop_alloc: nr_pages=zz ret=0", [](const Event& e) { (void)e.nr_pages(); },
       "xen_unpop_alloc: expected nr_pages=NUMBER (0x hex or decimal), found nr_pages=zz"},
      {"xen_unpop_alloc: nr_pages=1 ret=0x", [](const Event& e) { (void)e.ret(); },
       "xen_unpop_alloc: expected ret=INTEGER, found ret=0x"},
      {"xen_unpop_free: nr_pages=1 list_count=-1", [](const Event& e) { (void)e.list_count(); },
       "xen_unpop_free: expected list_count=NUMBER (0x hex or decimal), found list_count=-1"},
      {"xen_unpop_fill_list: nr_pages=1 start=x end=0x4fffffff ret=0", [](const Event& e) { (void)e.start(); },
       "xen_unpop_fill_list: expected start=NUMBER (0x hex or decimal), found start=x"},
      {"xen_unpop_fill_list: nr_pages=1 start=0 end=1g ret=0", [](const Event& e) { (void)e.end(); },
       "xen_unpop_fill_list: expected end=NUMBER (0x hex or decimal), found end=1g"},
      {"xen_unpop_free_page: pfn=0xg", [](const Event& e) { (void)e.pfn(); },
       "xen_unpop_free_page: expected pfn=NUMBER (0x hex or decimal), found pfn=0xg"},
      {"xen_unpop_dma_alloc_page: page=-4", [](const Event& e) { (void)e.page(); },
       "xen_unpop_dma_alloc_page: expected page=NUMBER (0x hex or decimal), found page=-4"},
  };
  for (const auto& c : cases) {
    Decoded d;
    ASSERT_NO_THROW(d = decode_line(c.body, 4)) << c.body;
    InputError err = error_of([&] { c.read(d.ev); });
    EXPECT_EQ(err.file, "dir/t.txt") << c.body;
    EXPECT_EQ(err.line, 5u) << c.body;
    EXPECT_EQ(err.message, c.message);
  }
}

TEST(ReplayDecode, RegionFieldsInTheContractsOrder) {
  auto ok = decode_line("xen_unpop_region: kind=unavailable start=0x60000000 end=0x7fffffff");
  RegionFields f = ok.ev.region();
  EXPECT_FALSE(f.ext);
  EXPECT_EQ(f.range, (Range{0x60000000, 0x7fffffff}));
  auto err = [](const char* body) { return error_of([&] { (void)decode_line(body, 1).ev.region(); }); };
  EXPECT_EQ(err("xen_unpop_region: kind=ext end=0x7fffffff").message, "xen_unpop_region: expected a start= field");
  EXPECT_EQ(err("xen_unpop_region: kind=ext start=0x60000000").message, "xen_unpop_region: expected a end= field");
  // The numbers are checked before the kind.
  EXPECT_EQ(err("xen_unpop_region: kind=bad start=q end=0").message,
            "xen_unpop_region: expected start=NUMBER (0x hex or decimal), found start=q");
  InputError k = err("xen_unpop_region: kind=bad start=0 end=0");
  EXPECT_EQ(k.message, "xen_unpop_region: expected kind=ext or kind=unavailable");
  EXPECT_EQ(k.file, "dir/t.txt");
  EXPECT_EQ(k.line, 2u);
}

TEST(ReplayDecode, InitFieldsInTheContractsOrder) {
  InitFields f = decode_line("xen_unpop_init: target=iomem_resource start=0 end=0xff ret=-16").ev.init();
  EXPECT_EQ(f.target, Target::iomem);
  EXPECT_EQ(f.end, 0xffu);
  EXPECT_EQ(f.ret, -16);
  auto err = [](const char* body) { return error_of([&] { (void)decode_line(body, 2).ev.init(); }).message; };
  EXPECT_EQ(err("xen_unpop_init: target=xen start=0 end=0 ret=0"),
            "xen_unpop_init: expected target=xen_resource|iomem_resource|none");
  EXPECT_EQ(err("xen_unpop_init: target=none end=0 ret=0"), "xen_unpop_init: expected a start= field");
  EXPECT_EQ(err("xen_unpop_init: target=none start=0 end=0"), "xen_unpop_init: expected a ret= field");
  EXPECT_EQ(err("xen_unpop_init: target=none start=0 end=0 ret=z"), "xen_unpop_init: expected ret=INTEGER, found ret=z");
}

// A tracepoint summary must carry its fields; a probe may leave them out.
TEST(ReplayDecode, MissingSummaryFields) {
  auto missing = [](const char* body, void (Event::*check)() const) {
    auto d = decode_line(body, 6);
    InputError e = error_of([&] { (d.ev.*check)(); });
    EXPECT_EQ(e.line, 7u) << body;
    EXPECT_EQ(e.file, "dir/t.txt") << body;
    return e.message;
  };
  EXPECT_EQ(missing("xen_unpop_alloc: nr_pages=1", &Event::require_alloc_fields),
            "xen_unpop_alloc: expected nr_pages= and ret= fields");
  EXPECT_EQ(missing("xen_unpop_dma_free: dev=x", &Event::require_free_fields),
            "xen_unpop_dma_free: expected a nr_pages= field");
  EXPECT_EQ(missing("xen_unpop_fill_list: nr_pages=1 start=0 end=1", &Event::require_growth_fields),
            "xen_unpop_fill_list: expected nr_pages=, start=, end= and ret= fields");
  EXPECT_EQ(missing("xen_unpop_free_page: x=1", &Event::missing_page),
            "xen_unpop_free_page: expected a pfn= or page= field");
  auto probe = decode_line("xen_unpop_alloc: (xen_alloc_unpopulated_pages+0x0/0x30) nr_pages=1");
  EXPECT_NO_THROW(probe.ev.require_alloc_fields());
  auto complete = decode_line("xen_unpop_alloc: nr_pages=1 ret=0");
  EXPECT_NO_THROW(complete.ev.require_alloc_fields());
}

// The event is reused: nothing of the previous event's fields survives the next decode.
TEST(ReplayDecode, ReusedEventForgetsThePrevious) {
  auto recs = records(test::line("a", 1, 0, 1, "xen_unpop_dma_free: dev=gntdev nr_pages=2 pages={0x40} list_count=1") +
                      test::line("a", 1, 0, 2, "xen_unpop_free_page: pfn=0x10"));
  Event e;
  decode(recs[0], e);
  EXPECT_EQ(e.pages().size(), 1u);
  decode(recs[1], e);
  EXPECT_EQ(e.kind, Ev::free_page);
  EXPECT_EQ(e.nr_pages(), std::nullopt);
  EXPECT_EQ(e.list_count(), std::nullopt);
  EXPECT_TRUE(e.pages().empty());
  EXPECT_FALSE(e.has_pages());
  EXPECT_EQ(e.dev(), "");
  EXPECT_EQ(e.pfn(), 0x10u);
}

}  // namespace
}  // namespace unpop::replay

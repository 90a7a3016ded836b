#include "distspec/proto/dist_header.hpp"

#include <gtest/gtest.h>

#include <random>

namespace distspec::proto {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes with_text(Bytes head, std::string_view text) {
  head.insert(head.end(), text.begin(), text.end());
  return head;
}

// connection.md §3.5: DEMONITOR_P header sent by OTP after a ping.
TEST(DistHeader, WorkedExampleFromTheSpec) {
  AtomCacheIn cache;
  cache.set(7 * 256 + 0xda, etf::Atom{"c@vm"});
  Bytes section = with_text({0x02, 0x97, 0x00, 0xda, 0xaf, 0x0a}, "net_kernel");
  section.push_back(0x68);  // the control term follows
  auto parsed = parse_atom_cache_section(section, 2, cache);
  ASSERT_TRUE(parsed.ok()) << to_string(parsed.error().code);
  EXPECT_EQ(parsed->used, section.size() - 1);
  ASSERT_EQ(parsed->refs.size(), 2u);
  EXPECT_EQ(parsed->refs[0], (AtomCacheRef{7 * 256 + 0xda, false, etf::Atom{"c@vm"}}));
  EXPECT_EQ(parsed->refs[1], (AtomCacheRef{1 * 256 + 0xaf, true, etf::Atom{"net_kernel"}}));
  EXPECT_FALSE(parsed->long_atoms);
  ASSERT_NE(cache.get(1 * 256 + 0xaf), nullptr);
  EXPECT_EQ(cache.get(1 * 256 + 0xaf)->name, "net_kernel");

  Bytes written;
  write_atom_cache_section(written, parsed->refs);
  EXPECT_EQ(written, Bytes(section.begin(), section.end() - 1));
}

TEST(DistHeader, ZeroReferencesIsOneByte) {
  AtomCacheIn cache;
  auto parsed = parse_atom_cache_section(Bytes{0, 104}, 2, cache);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->used, 1u);
  Bytes written;
  write_atom_cache_section(written, std::span<const AtomCacheRef>{});
  EXPECT_EQ(written, Bytes{0});
}

TEST(DistHeader, LongAtomsUseTwoByteLengths) {
  std::string long_name;
  for (int i = 0; i < 200; ++i) long_name += "\xce\xbb";  // 200 x lambda = 400 bytes
  std::vector<AtomCacheRef> refs{{3, true, etf::Atom{"a"}}, {1000, true, etf::Atom{long_name}}};
  Bytes written;
  write_atom_cache_section(written, refs);
  AtomCacheIn cache;
  auto parsed = parse_atom_cache_section(written, 2, cache);
  ASSERT_TRUE(parsed.ok()) << to_string(parsed.error().code);
  EXPECT_TRUE(parsed->long_atoms);
  EXPECT_EQ(parsed->refs, refs);
  EXPECT_EQ(parsed->used, written.size());
}

TEST(DistHeader, RandomSectionsRoundTrip) {
  std::uint32_t seed = std::random_device{}();
  std::printf("DistHeader.RandomSectionsRoundTrip seed %u\n", seed);
  std::mt19937 rng(seed);
  AtomCacheIn in, in_reused;
  AtomCacheSection reused;  // parse_atom_cache_section_into() over the previous round's section
  std::vector<std::optional<std::string>> mirror(kAtomCacheSlots);
  for (int round = 0; round < 300; ++round) {
    std::size_t n = rng() % 256;
    std::vector<AtomCacheRef> refs;
    for (std::size_t i = 0; i < n; ++i) {
      auto slot = std::uint16_t(rng() % kAtomCacheSlots);
      if (mirror[slot] && rng() % 2) {
        refs.push_back({slot, false, etf::Atom{*mirror[slot]}});
      } else {
        std::string name = "atom" + std::to_string(rng() % 5000);
        if (rng() % 4 == 0) name += std::string(40, 'l');  // past the short-string buffer
        if (rng() % 50 == 0)  // over 255 bytes: LongAtoms
          for (int k = 0; k < 130; ++k) name += "\xc3\xa9";
        mirror[slot] = name;
        refs.push_back({slot, true, etf::Atom{name}});
      }
    }
    Bytes written;
    write_atom_cache_section(written, refs);
    auto parsed = parse_atom_cache_section(written, 2, in);
    ASSERT_TRUE(parsed.ok()) << "seed " << seed << " round " << round;
    ASSERT_EQ(parsed->refs, refs) << "seed " << seed;
    ASSERT_EQ(parsed->used, written.size());
    ASSERT_FALSE(parse_atom_cache_section_into(reused, written, 2, in_reused)) << "seed " << seed;
    ASSERT_EQ(reused.refs, refs) << "seed " << seed << " round " << round;
    ASSERT_EQ(reused.used, parsed->used);
    ASSERT_EQ(reused.long_atoms, parsed->long_atoms);
  }
}

TEST(DistHeader, TruncatedAtEveryOffset) {
  Bytes section = with_text({0x02, 0x88, 0x00, 0x01, 0x04}, "abcd");
  section.push_back(0x02);
  section.push_back(0x02);
  section.insert(section.end(), {'x', 'y'});
  {
    AtomCacheIn cache;
    ASSERT_TRUE(parse_atom_cache_section(section, 2, cache).ok());
  }
  for (std::size_t len = 0; len < section.size(); ++len) {
    AtomCacheIn cache;
    auto r = parse_atom_cache_section(std::span(section).first(len), 2, cache);
    ASSERT_FALSE(r.ok()) << len;
    EXPECT_EQ(r.error().code, ConnectionErrorCode::HeaderTruncated) << len;
    EXPECT_LE(r.error().offset, 2 + section.size());
  }
}

TEST(DistHeader, OldEntryForAnEmptySlotIsRejected) {
  AtomCacheIn cache;
  auto r = parse_atom_cache_section(Bytes{0x01, 0x05, 0x10}, 2, cache);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ConnectionErrorCode::BadAtomCacheSlot);
  EXPECT_EQ(r.error().offset, 4u);
}

TEST(DistHeader, InvalidAtomTextIsRejected) {
  for (Bytes text : {Bytes{0xc0, 0xaf}, Bytes{0xed, 0xa0, 0x80}, Bytes{0xff}}) {
    Bytes section{0x01, 0x08, 0x00, std::uint8_t(text.size())};
    section.insert(section.end(), text.begin(), text.end());
    AtomCacheIn cache;
    auto r = parse_atom_cache_section(section, 2, cache);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ConnectionErrorCode::BadAtomCacheAtom);
    EXPECT_EQ(cache.get(0), nullptr);
  }
  // 256 characters is one too many (OTP rejects atoms of more than 255 characters).
  std::string text;
  for (int i = 0; i < 256; ++i) text += "\xce\xbb";
  Bytes section{0x01, 0x08, 0x01, 0x02, 0x00};
  section.insert(section.end(), text.begin(), text.end());
  AtomCacheIn cache;
  auto r = parse_atom_cache_section(section, 2, cache);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ConnectionErrorCode::BadAtomCacheAtom);
}

TEST(DistHeader, ClassifyByMode) {
  HeaderMode pass{}, headers{.atom_cache = true}, frags{.fragments = true};
  EXPECT_EQ(classify_packet(Bytes{112, 131}, pass).value(), PacketKind::PassThrough);
  EXPECT_EQ(classify_packet(Bytes{0, 131}, pass).value(), PacketKind::PassThrough);  // as OTP
  EXPECT_EQ(classify_packet(Bytes{131, 68}, pass).error().code,
            ConnectionErrorCode::IncompatiblePacket);
  EXPECT_EQ(classify_packet(Bytes{112, 131}, headers).error().code,
            ConnectionErrorCode::IncompatiblePacket);
  EXPECT_EQ(classify_packet(Bytes{131, 68}, headers).value(), PacketKind::Header);
  EXPECT_EQ(classify_packet(Bytes{131, 69}, headers).error().code,
            ConnectionErrorCode::HeaderNotNegotiated);
  EXPECT_EQ(classify_packet(Bytes{131, 70}, headers).error().code,
            ConnectionErrorCode::HeaderNotNegotiated);
  EXPECT_EQ(classify_packet(Bytes{131, 68}, frags).value(), PacketKind::Header);
  EXPECT_EQ(classify_packet(Bytes{131, 69}, frags).value(), PacketKind::FragmentHeader);
  EXPECT_EQ(classify_packet(Bytes{131, 70}, frags).value(), PacketKind::FragmentCont);
  EXPECT_EQ(classify_packet(Bytes{131, 71}, frags).error().code,
            ConnectionErrorCode::IncompatiblePacket);
  EXPECT_EQ(classify_packet(Bytes{131}, frags).error().code, ConnectionErrorCode::HeaderTruncated);
}

TEST(DistHeader, FragmentIds) {
  Bytes p;
  write_fragment_prefix(p, kFragHeaderTag, {0x00000368000006d3ull, 4});
  EXPECT_EQ(p, (Bytes{131, 69, 0, 0, 3, 0x68, 0, 0, 6, 0xd3, 0, 0, 0, 0, 0, 0, 0, 4}));
  auto ids = parse_fragment_ids(p);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->sequence_id, 0x00000368000006d3ull);
  EXPECT_EQ(ids->fragment_id, 4u);
  for (std::size_t len = 0; len < p.size(); ++len)
    EXPECT_EQ(parse_fragment_ids(std::span(p).first(len)).error().code,
              ConnectionErrorCode::HeaderTruncated);
}

TEST(AtomCacheOut, NewOnlyWhenTheSlotHeldAnotherAtom) {
  AtomCacheOut out([](const etf::Atom& a) { return std::uint16_t(a.name.size()); });
  etf::Atom a{"aa"}, b{"bb"}, c{"ccc"};
  std::vector<const etf::Atom*> atoms{&a, &c, &a, &b};  // b collides with a (same slot 2)
  auto plan = out.plan(atoms);
  ASSERT_EQ(plan.refs.size(), 2u);
  EXPECT_EQ(plan.refs[0].to_ref(), (AtomCacheRef{2, true, a}));
  EXPECT_EQ(plan.refs[1].to_ref(), (AtomCacheRef{3, true, c}));
  EXPECT_EQ(plan.index(a), 0);
  EXPECT_EQ(plan.index(b), std::nullopt);  // stays inline
  auto again = out.plan(atoms);
  EXPECT_FALSE(again.refs[0].is_new);
  EXPECT_FALSE(again.refs[1].is_new);
  std::vector<const etf::Atom*> only_b{&b};
  auto over = out.plan(only_b);  // b takes slot 2 over
  EXPECT_TRUE(over.refs[0].is_new);
  EXPECT_TRUE(out.plan(atoms).refs[0].is_new);
}

TEST(AtomCacheOut, AtMost255References) {
  AtomCacheOut out([](const etf::Atom& a) { return std::uint16_t(std::stoi(a.name)); });
  std::vector<etf::Atom> storage;
  for (int i = 0; i < 300; ++i) storage.push_back(etf::Atom{std::to_string(i)});
  std::vector<const etf::Atom*> atoms;
  for (const auto& a : storage) atoms.push_back(&a);
  auto plan = out.plan(atoms);
  EXPECT_EQ(plan.refs.size(), 255u);
  EXPECT_EQ(plan.index(storage[254]), 254);
  EXPECT_EQ(plan.index(storage[255]), std::nullopt);
}

TEST(AtomCache, CollectAtomsInOtpOrder) {
  // {6, Pid(y@vm), '', rex}: the a_ping capture's header lists y@vm, '', rex in that order.
  using etf::Term;
  auto pid = etf::Pid{etf::Atom{"y@vm"}, 1, 0, 1};
  Term t = Term::tuple({Term::integer(6), Term::pid(pid), Term::atom(""), Term::atom("rex")});
  std::vector<const etf::Atom*> atoms;
  collect_atoms(t, atoms);
  ASSERT_EQ(atoms.size(), 3u);
  EXPECT_EQ(atoms[0]->name, "y@vm");
  EXPECT_EQ(atoms[1]->name, "");
  EXPECT_EQ(atoms[2]->name, "rex");
  atoms.clear();
  Term list = Term::list({Term::atom("x"), Term::atom("y")}, Term::atom("z"));
  collect_atoms(list, atoms);  // pointers into `list`: it must outlive them
  ASSERT_EQ(atoms.size(), 3u);
  EXPECT_EQ(atoms[0]->name, "x");
  EXPECT_EQ(atoms[2]->name, "z");
}

}  // namespace
}  // namespace distspec::proto

namespace distspec::proto {
namespace {

// One plan reused for every message (as the sender does) plans what a fresh plan does.
TEST(DistHeader, ReusedPlanEqualsFreshPlans) {
  std::uint32_t seed = std::random_device{}();
  std::printf("DistHeader.ReusedPlanEqualsFreshPlans seed %u\n", seed);
  std::mt19937 rng(seed);
  std::vector<etf::Atom> pool;
  for (int i = 0; i < 60; ++i)
    pool.push_back(etf::Atom{"a" + std::to_string(i) + (i % 3 == 0 ? std::string(30, 'x') : "")});
  AtomCacheOut fresh_cache, reused_cache;
  AtomCachePlan reused;
  for (int round = 0; round < 500; ++round) {
    std::vector<const etf::Atom*> atoms;
    for (std::size_t n = rng() % 12; n > 0; --n) atoms.push_back(&pool[rng() % pool.size()]);
    AtomCachePlan fresh = fresh_cache.plan(atoms);
    reused_cache.plan_into(reused, atoms);
    ASSERT_EQ(reused.refs, fresh.refs) << "seed " << seed << " round " << round;
    for (const auto& atom : pool) ASSERT_EQ(reused.index(atom), fresh.index(atom)) << "seed " << seed;
  }
}

}  // namespace
}  // namespace distspec::proto

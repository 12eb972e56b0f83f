#include "services/version_cache.h"

#include "gtest/gtest.h"

namespace aiaas::services {
namespace {

storage::VersionRecord Version(int64_t number) {
  storage::VersionRecord record;
  record.model = "m";
  record.version = number;
  return record;
}

TEST(VersionCacheTest, StoresAndInvalidates) {
  VersionCache cache;
  EXPECT_FALSE(cache.Get("t", "m", "").has_value());
  cache.Put(cache.Begin(), "t", "m", "", Version(3));
  ASSERT_TRUE(cache.Get("t", "m", "").has_value());
  EXPECT_EQ(cache.Get("t", "m", "")->version, 3);
  EXPECT_FALSE(cache.Get("other", "m", "").has_value());  // keyed by tenant too
  cache.Invalidate();
  EXPECT_FALSE(cache.Get("t", "m", "").has_value());
}

TEST(VersionCacheTest, LookupThatRacedWithAWriteIsNotStored) {
  VersionCache cache;
  const VersionCache::Ticket ticket = cache.Begin();  // reader starts reading the store
  cache.Invalidate();                                  // a writer changes it meanwhile
  cache.Put(ticket, "t", "m", "", Version(1));         // the reader's row may be stale
  EXPECT_FALSE(cache.Get("t", "m", "").has_value());
  cache.Put(cache.Begin(), "t", "m", "", Version(2));
  EXPECT_EQ(cache.Get("t", "m", "")->version, 2);
}

TEST(VersionCacheTest, StaysBounded) {
  VersionCache cache(/*max_entries=*/2);
  cache.Put(cache.Begin(), "t", "a", "", Version(1));
  cache.Put(cache.Begin(), "t", "b", "", Version(1));
  cache.Put(cache.Begin(), "t", "c", "", Version(1));
  EXPECT_TRUE(cache.Get("t", "c", "").has_value());
  EXPECT_FALSE(cache.Get("t", "a", "").has_value() && cache.Get("t", "b", "").has_value());
}

}  // namespace
}  // namespace aiaas::services

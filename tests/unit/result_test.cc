#include "dbtopo/base/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace dbtopo {
namespace {

Result<int> Half(int n) {
  if (n % 2 != 0) return Error{std::to_string(n) + " is odd"};
  return n / 2;
}

struct Located {
  int line = 0;
  std::string message;
};

TEST(ResultTest, HoldsAValueOrAnError) {
  const Result<int> half = Half(8);
  ASSERT_TRUE(half.ok());
  EXPECT_TRUE(static_cast<bool>(half));
  EXPECT_EQ(*half, 4);
  const Result<int> odd = Half(3);
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.error().message, "3 is odd");
}

TEST(ResultTest, AStringValueIsNotMistakenForAnError) {
  const Result<std::string> text = std::string("not an error");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->size(), 12u);
  const Result<std::string> failed = Error{"an error"};
  EXPECT_FALSE(failed.ok());
}

TEST(ResultTest, MovesOutMoveOnlyValuesAndCarriesRicherErrors) {
  Result<std::unique_ptr<int>, Located> made = std::make_unique<int>(7);
  std::unique_ptr<int> taken = std::move(made).value();
  EXPECT_EQ(*taken, 7);
  const Result<std::unique_ptr<int>, Located> bad = Located{12, "bad key"};
  EXPECT_EQ(bad.error().line, 12);
}

TEST(ResultTest, StatusIsSuccessByDefault) {
  const Status fine;
  EXPECT_TRUE(fine.ok());
  const Status failed = Error{"cannot listen"};
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "cannot listen");
}

TEST(ResultDeathTest, ReadingTheWrongSideIsABug) {
  const Result<int> odd = Half(3);
  EXPECT_DEATH((void)*odd, "value\\(\\) read from a result that holds an error");
  const Status fine;
  EXPECT_DEATH((void)fine.error(), "error\\(\\) read from a successful status");
}

}  // namespace
}  // namespace dbtopo

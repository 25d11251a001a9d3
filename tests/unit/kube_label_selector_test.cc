// Label selector parsing and matching (collectors/src/kubernetes/label_selector).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kubernetes/label_selector.h"

namespace dbtopo::kube {
namespace {

using ::testing::HasSubstr;
using Labels = std::map<std::string, std::string>;
using Op = LabelRequirement::Op;

LabelSelector MustParse(const std::string& text) {
  auto selector = LabelSelector::Parse(text);
  EXPECT_TRUE(selector.ok()) << text << ": " << selector.error().message;
  return selector.ok() ? *selector : LabelSelector();
}

std::string ParseError(const std::string& text) {
  auto selector = LabelSelector::Parse(text);
  EXPECT_FALSE(selector.ok()) << text;
  return selector.ok() ? "" : selector.error().message;
}

TEST(LabelSelectorTest, EmptySelectorMatchesEverything) {
  EXPECT_TRUE(MustParse("").Matches({}));
  EXPECT_TRUE(MustParse("   ").Matches({{"a", "b"}}));
  EXPECT_TRUE(MustParse("").empty());
}

TEST(LabelSelectorTest, Equality) {
  LabelSelector s =
      MustParse("app.kubernetes.io/managed-by=kubeblocks,apps.kubeblocks.io/component-name==mysql");
  ASSERT_EQ(s.requirements().size(), 2u);
  EXPECT_EQ(s.requirements()[0].op, Op::kEquals);
  EXPECT_EQ(s.requirements()[1].key, "apps.kubeblocks.io/component-name");
  EXPECT_TRUE(s.Matches({{"app.kubernetes.io/managed-by", "kubeblocks"},
                         {"apps.kubeblocks.io/component-name", "mysql"},
                         {"other", "x"}}));
  EXPECT_FALSE(s.Matches({{"app.kubernetes.io/managed-by", "kubeblocks"},
                          {"apps.kubeblocks.io/component-name", "redis"}}));
  EXPECT_FALSE(s.Matches({{"app.kubernetes.io/managed-by", "kubeblocks"}}));
}

TEST(LabelSelectorTest, InequalityMatchesMissingLabel) {
  LabelSelector s = MustParse("tier != frontend");
  EXPECT_TRUE(s.Matches({{"tier", "backend"}}));
  EXPECT_TRUE(s.Matches({}));  // Kubernetes semantics: absent label satisfies !=.
  EXPECT_FALSE(s.Matches({{"tier", "frontend"}}));
}

TEST(LabelSelectorTest, EmptyValue) {
  LabelSelector s = MustParse("a=");
  EXPECT_TRUE(s.Matches({{"a", ""}}));
  EXPECT_FALSE(s.Matches({{"a", "x"}}));
  EXPECT_FALSE(s.Matches({}));
}

TEST(LabelSelectorTest, SetBased) {
  LabelSelector s = MustParse("env in (prod, qa),tier notin (cache,queue)");
  ASSERT_EQ(s.requirements().size(), 2u);
  EXPECT_EQ(s.requirements()[0].op, Op::kIn);
  EXPECT_THAT(s.requirements()[0].values, ::testing::ElementsAre("prod", "qa"));
  EXPECT_EQ(s.requirements()[1].op, Op::kNotIn);
  EXPECT_TRUE(s.Matches({{"env", "qa"}, {"tier", "db"}}));
  EXPECT_TRUE(s.Matches({{"env", "prod"}}));  // notin: absent label matches.
  EXPECT_FALSE(s.Matches({{"env", "dev"}, {"tier", "db"}}));
  EXPECT_FALSE(s.Matches({{"env", "prod"}, {"tier", "cache"}}));
  EXPECT_FALSE(s.Matches({{"tier", "db"}}));  // in: absent label does not match.
}

TEST(LabelSelectorTest, ExistsAndDoesNotExist) {
  LabelSelector s = MustParse("kubeblocks.io/role, !canary");
  EXPECT_EQ(s.requirements()[0].op, Op::kExists);
  EXPECT_EQ(s.requirements()[1].op, Op::kDoesNotExist);
  EXPECT_TRUE(s.Matches({{"kubeblocks.io/role", "primary"}}));
  EXPECT_TRUE(s.Matches({{"kubeblocks.io/role", ""}}));
  EXPECT_FALSE(s.Matches({{"kubeblocks.io/role", "primary"}, {"canary", "1"}}));
  EXPECT_FALSE(s.Matches({}));
}

TEST(LabelSelectorTest, CanonicalString) {
  EXPECT_EQ(MustParse(" a == b , c!=d,e in ( f , g ),h notin (i), j ,! k").ToString(),
            "a=b,c!=d,e in (f,g),h notin (i),j,!k");
  // Round trip.
  const std::string canonical = "app.kubernetes.io/instance=orders,x in (1,2),!y";
  EXPECT_EQ(MustParse(canonical).ToString(), canonical);
}

TEST(LabelSelectorTest, RejectsBadSyntaxWithColumn) {
  EXPECT_THAT(ParseError("a=b,"), HasSubstr("expected a requirement after \",\""));
  EXPECT_THAT(ParseError("a in b"), HasSubstr("expected \"(\""));
  EXPECT_THAT(ParseError("a in (b"), HasSubstr("expected \")\""));
  EXPECT_THAT(ParseError("a in ()"), HasSubstr("cannot be empty"));
  EXPECT_THAT(ParseError("a>1"), HasSubstr("not supported"));
  EXPECT_THAT(ParseError("a=b c=d"), HasSubstr("expected \",\" or end"));
  EXPECT_THAT(ParseError("=b"), HasSubstr("expected a label key"));
  EXPECT_THAT(ParseError("a foo (b)"), HasSubstr("expected =, ==, !=, in or notin"));
  EXPECT_THAT(ParseError("a=b,c=d e"), HasSubstr("column 9"));
}

TEST(LabelSelectorTest, RejectsInvalidKeysAndValues) {
  EXPECT_THAT(ParseError("-a=b"), HasSubstr("invalid label key \"-a\""));
  EXPECT_THAT(ParseError("Example.COM/a=b"), HasSubstr("invalid label key"));  // Prefix lower-case.
  EXPECT_THAT(ParseError("a/b/c=d"), HasSubstr("invalid label key"));
  EXPECT_THAT(ParseError("a=-b"), HasSubstr("invalid label value \"-b\""));
  EXPECT_THAT(ParseError(std::string("a=") + std::string(64, 'x')),
              HasSubstr("invalid label value"));
  EXPECT_TRUE(IsValidLabelKey("apps.kubeblocks.io/component-name"));
  EXPECT_TRUE(IsValidLabelKey("a_b.c-d"));
  EXPECT_FALSE(IsValidLabelKey(""));
  EXPECT_FALSE(IsValidLabelKey(std::string(64, 'a')));
  EXPECT_TRUE(IsValidLabelValue(""));
  EXPECT_TRUE(IsValidLabelValue("Primary_1.x"));
}

}  // namespace
}  // namespace dbtopo::kube

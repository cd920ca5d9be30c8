// The ILP against exhaustive search on larger random layers (dimensions up to 300) and
// machines: slow because exhaustive search scores every candidate of the space.
#include "../mapper_cases.h"

using namespace tessera;
using namespace tessera::test;

TEST_CASE("ILP within 1% of exhaustive search on random layers and machines", "[mapper][slow]") {
  ilp_against_exhaustive(60, 300, 77);
}

TEST_CASE("with an accumulator level: ILP within 1% of exhaustive search on random layers", "[mapper][slow][acc]") {
  ilp_against_exhaustive(20, 300, 78, true);
}

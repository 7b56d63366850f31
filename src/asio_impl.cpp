// The one translation unit that compiles standalone Asio (ASIO_SEPARATE_COMPILATION),
// so that no other file pays for its implementation.
#include <asio/impl/src.hpp>
#include <asio/ssl/impl/src.hpp>

#include "corpus.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace distspec::bench {

std::vector<CorpusItem> load_corpus(const std::string& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".etf") files.push_back(entry.path());
  if (files.empty()) throw std::runtime_error("no .etf files in " + dir);
  std::sort(files.begin(), files.end());

  std::vector<CorpusItem> items;
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    CorpusItem item;
    item.name = path.stem().string();
    if (auto underscore = item.name.find('_'); underscore != std::string::npos)
      item.name.erase(0, underscore + 1);
    item.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) throw std::runtime_error("cannot read " + path.string());
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace distspec::bench

#include "engine/supervisor/state_file.hpp"

#include <unistd.h>

#include <utility>

#include "engine/base/file.hpp"
#include "engine/base/uv_handle.hpp"

namespace stack::supervisor {

Result<nlohmann::json> parse_state(std::string_view text) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded()) return fail("not a whole JSON document (truncated or damaged)");
  if (!doc.is_object()) return fail("not a JSON object");
  if (!doc.contains("version") || doc["version"] != kStateVersion)
    return fail("unknown version (want " + std::to_string(kStateVersion) + ")");
  if (!doc.contains("project") || !doc["project"].is_string()) return fail("no project name");
  if (!doc.contains("containers") || !doc["containers"].is_array()) return fail("no containers list");
  for (const auto& c : doc["containers"])
    for (const char* key : {"Name", "Service", "State"})
      if (!c.is_object() || !c.contains(key) || !c[key].is_string())
        return fail(std::string("a container without ") + key);
  return doc;
}

Result<nlohmann::json> read_state(const std::string& path) {
  auto text = read_file(path);
  if (!text) return unexpected(text.error());
  auto doc = parse_state(*text);
  if (!doc) return fail("state file '" + path + "' is corrupt: " + doc.error().message);
  return doc;
}

struct StateWriter::Shared {
  uv_loop_t* loop;
  std::string path;
  std::function<std::string()> pending;  // makes the next document to write
  std::string writing, work_error, error;  // work_error: the pool thread's, until after
  bool in_flight = false, closed = false, remove = false;
  uv_work_t req{};
  std::shared_ptr<Shared> self;  // keeps this alive while the work request runs
};

StateWriter::StateWriter(uv_loop_t* loop, std::string path) : shared_(std::make_shared<Shared>()) {
  shared_->loop = loop;
  shared_->path = std::move(path);
}

StateWriter::~StateWriter() { shared_->closed = true; }

void StateWriter::update(std::string document) {
  update_lazily([d = std::move(document)]() mutable { return std::move(d); });
}

void StateWriter::update_lazily(std::function<std::string()> make) {
  if (shared_->closed) return;
  shared_->pending = std::move(make);
  if (!shared_->in_flight) start(shared_);
}

void StateWriter::close_and_remove() {
  shared_->closed = true;
  shared_->pending = nullptr;
  shared_->remove = true;
  if (!shared_->in_flight) ::unlink(shared_->path.c_str());
}

bool StateWriter::idle() const { return !shared_->in_flight; }

std::string StateWriter::last_error() const { return shared_->error; }

void StateWriter::start(const std::shared_ptr<Shared>& s) {
  s->writing = std::exchange(s->pending, nullptr)();
  s->req.data = s.get();
  auto work = [](uv_work_t* r) {
    auto* sh = static_cast<Shared*>(r->data);
    // kProcessCrash: state.json describes processes that a reboot ends (file.hpp).
    auto w = write_file_atomic(sh->path, sh->writing, 0644, Durability::kProcessCrash);
    sh->work_error = w ? std::string() : w.error().message;
  };
  auto after = [](uv_work_t* r, int) {
    auto keep = std::move(static_cast<Shared*>(r->data)->self);
    keep->in_flight = false;
    keep->error = keep->work_error;
    if (keep->pending && !keep->closed) return start(keep);
    if (keep->remove) ::unlink(keep->path.c_str());
  };
  if (int rc = uv_queue_work(s->loop, &s->req, work, after); rc < 0) {
    s->error = fail_uv(rc, "failed to queue the write of '" + s->path + "'").error.message;
    return;
  }
  s->in_flight = true;
  s->self = s;
}

}  // namespace stack::supervisor

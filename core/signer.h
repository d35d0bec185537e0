// Something that can sign documents as one author. core declares it so
// that the store can make local writes without knowing about key files;
// keys::Identity implements it.
#pragma once

#include <string>

#include "core/document.h"

namespace esfs::core {

class Signer {
 public:
  virtual ~Signer() = default;
  virtual const std::string& address() const = 0;
  // Sets doc.author and doc.signature, and doc.contentHash unless it is
  // set already (the store hashes a save's content in the saver's own
  // thread, before it queues for the commit: the caller that sets it sets
  // ContentHash(doc.content), nothing else). The signature must verify
  // under address(): Store::Set trusts it and does not check it again
  // (keys::Identity checks its key pair when it is loaded).
  virtual void Sign(Document& doc) const = 0;
};

}  // namespace esfs::core

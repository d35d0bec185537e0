// Something that can sign documents as one author. core declares it so
// that the store can make local writes without knowing about key files;
// keys::Identity implements it.
#pragma once

#include <string>

#include "core/document.h"
#include "core/signing.h"

namespace esfs::core {

class Signer {
 public:
  virtual ~Signer() = default;
  virtual const std::string& address() const = 0;
  // Sets doc.author, doc.contentHash and doc.signature. The signature must
  // verify under address(): Store::Set trusts it and does not check it
  // again (keys::Identity checks its key pair when it is loaded).
  void Sign(Document& doc) const {
    doc.contentHash = ContentHash(doc.content);
    SignHashed(doc);
  }
  // The same for a document whose contentHash the caller has just set to
  // ContentHash(doc.content): the store hashes a save in the saver's own
  // thread, before it queues for the commit whose leader signs for all.
  virtual void SignHashed(Document& doc) const = 0;
};

}  // namespace esfs::core

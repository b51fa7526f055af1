'use strict';
// node-red-node-test-helper with its HTTP server and a Node-RED user dir, started before each test of a describe
// block and stopped after it (the admin endpoints and the model folders need both).

/** Registers the hooks; `userDirOf()` gives the user dir for the next test (a new one, or the same each time). */
function helperServerWithUserDir(helper, userDirOf) {
  beforeEach((done) => {
    helper.settings({ userDir: userDirOf() });
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
    await new Promise((r) => { helper.stopServer(r); });
  });
}

module.exports = { helperServerWithUserDir };

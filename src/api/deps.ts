import type { Config } from '../config/schema.js';
import type { JwtService } from '../auth/jwt.js';
import type { Db } from '../store/db.js';

/** What the HTTP layer needs from the outside world; tests build it with a real database. */
export interface AppDeps {
  config: Config;
  db: Db;
  jwt: JwtService;
}

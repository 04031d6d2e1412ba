/**
 * FC entry point (handler `index.handler`, initializer `index.initialize`). The environment is
 * read once per instance, at module load, so a bad variable fails the instance at start.
 */
import { createHandler } from './create-handler';

export const { handler, initialize } = createHandler();

/**
 * Core (docs/architecture.md): the per-seed random streams. Pure Java.
 */
package org.diffsweep.rng;

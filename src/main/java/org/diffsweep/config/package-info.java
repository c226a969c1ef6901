/**
 * Outer layer (docs/architecture.md): sweep configurations, and the choice of family by process name
 * ({@link org.diffsweep.config.Families}).
 */
package org.diffsweep.config;

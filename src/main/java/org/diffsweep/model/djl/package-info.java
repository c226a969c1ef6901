/**
 * The DJL layer (docs/architecture.md): the only package that names DJL. It loads TorchScript and ONNX networks
 * as the core's {@link org.diffsweep.model.Network} and {@link org.diffsweep.features.Detector}; it names no
 * configuration or family class.
 */
package org.diffsweep.model.djl;

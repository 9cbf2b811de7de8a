package org.unclip.core.onnx;

import java.util.Map;
import org.unclip.core.tensor.Tensor;

/** Picks named outputs out of a run's result with a clear error when the graph lacks one. */
final class GraphOutputs {

    private GraphOutputs() {}

    static Tensor get(OnnxModel model, Map<String, Tensor> outputs, String name) {
        Tensor t = outputs.get(name);
        if (t == null) {
            throw new OnnxModelException(model.file().getFileName() + " has no output '" + name + "'; it has "
                    + outputs.keySet());
        }
        return t;
    }
}

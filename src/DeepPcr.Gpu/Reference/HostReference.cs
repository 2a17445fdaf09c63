using DeepPcr.Gpu.Model;

namespace DeepPcr.Gpu.Reference;

/// <summary>
/// The float64 sequential pass on the host, in plain loops: the reference every device result is measured
/// against (<see cref="Gradients"/> and states of the same shapes as the device's).
/// </summary>
public static class HostReference
{
    /// <summary>States z_1..z_L, layer after layer.</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">(B, w): z_0.</param>
    /// <returns>(L, B, w): states[k] = z_{k+1}.</returns>
    public static double[] Forward(MlpModel model, double[] input)
    {
        ArgumentNullException.ThrowIfNull(model);
        int w = model.Width, batch = BatchOf(input, w);
        var states = new double[(long)model.Layers * batch * w];
        var pre = new double[w];
        for (int k = 0; k < model.Layers; k++)
        {
            for (int b = 0; b < batch; b++)
            {
                Preactivation(model, k, Input(input, states, k, b, batch, w), pre);
                var z = states.AsSpan((int)(((long)k * batch + b) * w), w);
                for (int i = 0; i < w; i++) z[i] = model.Activation.Apply(pre[i]);
            }
        }
        return states;
    }

    /// <summary>
    /// The backward pass at the given states: lambda_L = g, lambda_k = J_k^T lambda_{k+1} row by row, then
    /// delta_k = act'(W_k z_k + b_k) * lambda_{k+1}, dW_k = sum_b delta_k z_k^T, db_k = sum_b delta_k, and the
    /// input gradient W_0^T delta_0.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="input">(B, w): z_0.</param>
    /// <param name="states">(L, B, w): z_1..z_L.</param>
    /// <param name="cotangent">(B, w): dLoss/dz_L.</param>
    /// <returns>The gradients in float64.</returns>
    public static Gradients Backward(MlpModel model, double[] input, double[] states, double[] cotangent)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(states);
        ArgumentNullException.ThrowIfNull(cotangent);
        int w = model.Width, batch = BatchOf(input, w), layers = model.Layers;
        if (states.LongLength != (long)layers * batch * w || cotangent.Length != batch * w)
            throw new ArgumentException($"states must be (L, B, w) = ({layers}, {batch}, {w}) and the cotangent (B, w).");
        var grads = new Gradients(layers, batch, w);
        cotangent.CopyTo(grads.StateGradients, (long)(layers - 1) * batch * w);
        var pre = new double[w];
        var delta = new double[w];
        for (int k = layers - 1; k >= 0; k--)
        {
            for (int b = 0; b < batch; b++)
            {
                var zIn = Input(input, states, k, b, batch, w);
                Preactivation(model, k, zIn, pre);
                var lambda = grads.StateGradients.AsSpan((int)(((long)k * batch + b) * w), w);
                for (int i = 0; i < w; i++) delta[i] = model.Activation.Derivative(pre[i]) * lambda[i];
                Accumulate(model, k, zIn, delta, grads);
                var target = k > 0 ? grads.StateGradients.AsSpan((int)(((long)(k - 1) * batch + b) * w), w) : grads.InputGradient.AsSpan(b * w, w);
                for (int j = 0; j < w; j++)
                {
                    double sum = 0;
                    for (int i = 0; i < w; i++) sum += model.Weights[((long)k * w + i) * w + j] * delta[i];
                    target[j] = sum;
                }
            }
        }
        return grads;
    }

    private static void Accumulate(MlpModel model, int k, ReadOnlySpan<double> zIn, double[] delta, Gradients grads)
    {
        int w = model.Width;
        for (int i = 0; i < w; i++)
        {
            grads.BiasGradients[(long)k * w + i] += delta[i];
            for (int j = 0; j < w; j++) grads.WeightGradients[((long)k * w + i) * w + j] += delta[i] * zIn[j];
        }
    }

    private static void Preactivation(MlpModel model, int k, ReadOnlySpan<double> zIn, double[] pre)
    {
        int w = model.Width;
        for (int i = 0; i < w; i++)
        {
            double sum = model.Biases[(long)k * w + i];
            long row = ((long)k * w + i) * w;
            for (int j = 0; j < w; j++) sum += model.Weights[row + j] * zIn[j];
            pre[i] = sum;
        }
    }

    private static ReadOnlySpan<double> Input(double[] input, double[] states, int k, int b, int batch, int w) =>
        k == 0 ? input.AsSpan(b * w, w) : states.AsSpan((int)(((long)(k - 1) * batch + b) * w), w);

    private static int BatchOf(double[] input, int w)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Length == 0 || input.Length % w != 0) throw new ArgumentException($"input holds {input.Length} values; a whole number (B >= 1) of rows of width {w} was expected.", nameof(input));
        return input.Length / w;
    }
}

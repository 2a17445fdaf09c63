using System.Runtime.CompilerServices;

namespace DeepPcr.Models.Mlp;

/// <summary>
/// The fastest sequential MLP loop we write in plain C# (the physical reference on a CPU): contiguous
/// float arrays, one pass over the layers, no framework. Weights (L, w, w) row-major, biases (L, w),
/// states (B, w).
/// </summary>
public sealed class FusedMlpLoop
{
    private readonly float[] weights;
    private readonly float[] biases;
    private readonly int layers, width;
    private readonly Activation activation;

    /// <summary>Copies the chain's parameters (as float32) into flat arrays.</summary>
    public FusedMlpLoop(MlpChain chain)
    {
        layers = chain.Length;
        width = chain.Width;
        activation = chain.Activation;
        using var w = chain.Weights.to_type(TorchSharp.torch.ScalarType.Float32).contiguous();
        using var b = chain.Biases.to_type(TorchSharp.torch.ScalarType.Float32).contiguous();
        weights = w.data<float>().ToArray();
        biases = b.data<float>().ToArray();
    }

    /// <summary>Runs all layers on a batch; input and output (B, w) flat, B = input.Length / w.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Forward(ReadOnlySpan<float> input, Span<float> output)
    {
        int batch = input.Length / width;
        Span<float> z = width <= 256 ? stackalloc float[width] : new float[width];
        Span<float> next = width <= 256 ? stackalloc float[width] : new float[width];
        for (int s = 0; s < batch; s++)
        {
            input.Slice(s * width, width).CopyTo(z);
            for (int k = 0; k < layers; k++)
            {
                var w = weights.AsSpan(k * width * width, width * width);
                var b = biases.AsSpan(k * width, width);
                for (int i = 0; i < width; i++)
                {
                    float sum = b[i];
                    var row = w.Slice(i * width, width);
                    for (int j = 0; j < width; j++) sum += row[j] * z[j];
                    next[i] = Activate(sum);
                }
                next.CopyTo(z);
            }
            z.CopyTo(output.Slice(s * width, width));
        }
    }

    /// <summary>
    /// Runs all layers and keeps every state: states (L + 1, B, w) flat, states[0] = input. Feeds <see cref="Backward"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ForwardKeepingStates(ReadOnlySpan<float> input, Span<float> states)
    {
        int batch = input.Length / width, stride = batch * width;
        input.CopyTo(states);
        for (int k = 0; k < layers; k++)
        {
            var w = weights.AsSpan(k * width * width, width * width);
            var b = biases.AsSpan(k * width, width);
            var z = states.Slice(k * stride, stride);
            var next = states.Slice((k + 1) * stride, stride);
            for (int s = 0; s < batch; s++)
            {
                for (int i = 0; i < width; i++)
                {
                    float sum = b[i];
                    var row = w.Slice(i * width, width);
                    for (int j = 0; j < width; j++) sum += row[j] * z[s * width + j];
                    next[s * width + i] = Activate(sum);
                }
            }
        }
    }

    /// <summary>
    /// The hand-written sequential backward pass of sum(z_L * cotangent): walks the layers from L down to 1 with
    /// delta = act'(pre) * lambda, dW += delta z^T, db += delta, lambda = W^T delta.
    /// </summary>
    /// <param name="states">(L + 1, B, w) from <see cref="ForwardKeepingStates"/>.</param>
    /// <param name="cotangent">(B, w): dLoss/dz_L.</param>
    /// <param name="weightGradients">(L, w, w), overwritten.</param>
    /// <param name="biasGradients">(L, w), overwritten.</param>
    /// <param name="inputGradient">(B, w), overwritten.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Backward(ReadOnlySpan<float> states, ReadOnlySpan<float> cotangent, Span<float> weightGradients, Span<float> biasGradients, Span<float> inputGradient)
    {
        int batch = cotangent.Length / width;
        weightGradients.Clear();
        biasGradients.Clear();
        Span<float> delta = width <= 256 ? stackalloc float[width] : new float[width];
        for (int s = 0; s < batch; s++)
        {
            var lambda = inputGradient.Slice(s * width, width);
            cotangent.Slice(s * width, width).CopyTo(lambda);
            for (int k = layers - 1; k >= 0; k--)
            {
                var w = weights.AsSpan(k * width * width, width * width);
                var b = biases.AsSpan(k * width, width);
                var z = states.Slice((k * batch + s) * width, width);
                var gw = weightGradients.Slice(k * width * width, width * width);
                var gb = biasGradients.Slice(k * width, width);
                for (int i = 0; i < width; i++)
                {
                    float pre = b[i];
                    var row = w.Slice(i * width, width);
                    for (int j = 0; j < width; j++) pre += row[j] * z[j];
                    delta[i] = Slope(pre) * lambda[i];
                    gb[i] += delta[i];
                    var gRow = gw.Slice(i * width, width);
                    for (int j = 0; j < width; j++) gRow[j] += delta[i] * z[j];
                }
                for (int j = 0; j < width; j++)
                {
                    float sum = 0;
                    for (int i = 0; i < width; i++) sum += w[i * width + j] * delta[i];
                    lambda[j] = sum;
                }
            }
        }
    }

    private float Slope(float x) => HostActivation.Slope(activation, x);

    private float Activate(float x) => HostActivation.Value(activation, x);
}

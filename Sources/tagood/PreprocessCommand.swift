import ArgumentParser
import Foundation
import Imaging
import TagoodSupport

/// `tagood preprocess IMAGE -o OUT.npy [--png OUT.png]`: the exact tensor the model sees for one image.
struct Preprocess: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preprocess",
        abstract: "Decode one image and write the CHW float32 tensor the model sees, as .npy.",
        discussion: """
            Applies TagOOD's evaluation transform: Resize((392, 392)) bilinear with antialias as Pillow does it, \
            CenterCrop(384), /255, ImageNet mean/std. The .npy is [3, 384, 384] float32, bit-identical to \
            torchvision on Pillow. The format is recognised from the content, not the file name.
            """
    )

    @Argument(help: "The image (JPEG or PNG).") var image: String

    @Option(name: .shortAndLong, help: "Where to write the tensor (.npy, float32, C order).") var output: String

    @Option(help: "Also write the de-normalised 384x384 crop as a PNG here.") var png: String?

    @Option(help: "Refuse images with more pixels than this.") var maxPixels: Int = ImageDecoder.defaultMaxPixels

    mutating func validate() throws {
        guard maxPixels > 0 else { throw ValidationError("--max-pixels must be positive") }
    }

    mutating func run() throws {
        do {
            let transform = TagOODTransform()
            let decoded = try ImageDecoder(maxPixels: maxPixels).decode(file: image)
            let tensor = transform(decoded.image)
            try NPY.write(tensor, shape: transform.outputShape, to: output)
            if let png {
                try transform.denormalize(tensor).writePNG(to: png)
            }
            print(summary(decoded.source, tensor: tensor, shape: transform.outputShape))
        } catch let error as any TagoodError {
            // One line naming the file, then a non-zero exit status.
            FileHandle.standardError.write(Data("tagood preprocess: \(error.description) [\(error.code)]\n".utf8))
            throw ExitCode(1)
        }
    }

    private func summary(_ source: SourceInfo, tensor: [Float], shape: [Int]) -> String {
        var low = Float.infinity, high = -Float.infinity, sum = 0.0
        for v in tensor {
            low = min(low, v)
            high = max(high, v)
            sum += Double(v)
        }
        let mean = sum / Double(max(tensor.count, 1))
        var lines = [
            "source:  \(image)",
            "         \(source)",
            "tensor:  \(output)  float32 [\(shape.map(String.init).joined(separator: ", "))]",
            "         min \(fmt(Double(low)))  max \(fmt(Double(high)))  mean \(fmt(mean))"
        ]
        if let png { lines.append("crop:    \(png)  (de-normalised, 384x384 RGB)") }
        return lines.joined(separator: "\n")
    }

    private func fmt(_ v: Double) -> String { String(format: "%.4f", v) }
}
